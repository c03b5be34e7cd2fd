import { notFound } from 'next/navigation'

/**
 * Any address no page answers: a 404 shown inside the dashboard (sidebar, header) by
 * ../not-found.tsx, rather than Next's bare page.
 */
export default function MissingPage(): never {
  notFound()
}
