export { PageLoading as default } from '@/components/skeletons'
