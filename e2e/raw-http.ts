import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import type { Role } from '../lib/auth/permissions'
import { E2E, storageStatePath } from './e2e-env'

/**
 * The dashboard as reached from another client address: a forwarder on a free port of localhost
 * whose connections to the dashboard leave from `address` (any of 127.0.0.0/8 on Linux). Without
 * it every test connects from 127.0.0.1, whichever loopback address it dials.
 */
export async function viaAddress(address: string): Promise<{ baseURL: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect({ port: E2E.port, host: '127.0.0.1', localAddress: address })
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      s.on('error', () => {
        client.destroy()
        upstream.destroy()
      })
    }
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    baseURL: `http://localhost:${(server.address() as net.AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/** The Cookie header of a role's saved session. */
export function cookieHeader(role: Role): string {
  const state = JSON.parse(fs.readFileSync(storageStatePath(role), 'utf8')) as { cookies: { name: string; value: string }[] }
  return state.cookies.map((c) => `${c.name}=${c.value}`).join('; ')
}

/**
 * Sends a request's head and the first part of a body that claims (or streams) to be much larger,
 * and resolves with the status line as soon as the server answers, without sending the rest.
 */
export function answerBeforeBody(opts: { path: string; headers: Record<string, string>; declaredBytes?: number; timeoutMs?: number }): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(E2E.port, '127.0.0.1')
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no answer within ${opts.timeoutMs ?? 10_000} ms: the server waited for the body`))
    }, opts.timeoutMs ?? 10_000)
    let head = ''
    socket.on('data', (chunk) => {
      head += chunk.toString('latin1')
      const match = /^HTTP\/1\.1 (\d{3})/.exec(head)
      if (match) {
        clearTimeout(timer)
        socket.destroy()
        resolve(Number(match[1]))
      }
    })
    socket.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    const framing = opts.declaredBytes ? { 'content-length': String(opts.declaredBytes) } : { 'transfer-encoding': 'chunked' }
    const lines = Object.entries({ host: `localhost:${E2E.port}`, ...framing, ...opts.headers }).map(([k, v]) => `${k}: ${v}`)
    socket.write(`POST ${opts.path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`)
    // Keep sending (up to 8 MB) while no answer came: a server that reads everything gets far more than 1 MB.
    const piece = Buffer.alloc(64 * 1024, 0x20)
    let sent = 0
    const pump = () => {
      if (socket.destroyed || sent >= 8 * 1024 * 1024) return
      sent += piece.length
      const data = opts.declaredBytes ? piece : Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')])
      if (socket.write(data)) setImmediate(pump)
      else socket.once('drain', pump)
    }
    pump()
  })
}

/** A tiny web server on another port of localhost (same site, another origin) serving one page. */
export async function serveOtherOrigin(html: string): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(html)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    origin: `http://localhost:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
