/**
 * What bench/download-http.bench.ts measures the dashboard's download against, each in a process of
 * its own: a bare Node HTTP server, a zero-copy python3 sendfile server, and a python3 client that
 * reads the socket 8 MiB at a time (curl reads 16 KiB at a time, so with a fast server the client
 * itself becomes what is measured).
 */
import { spawn } from 'node:child_process'

/**
 * The floor any Node HTTP server stands on, as a reference: a node:http server in its own process
 * (as the dashboard is) answering every request with the file through stream.pipeline (1 MiB
 * reads), with no session, framework or web stream.
 */
export const BARE_SERVER = `
const http = require('node:http'), fs = require('node:fs'), { pipeline } = require('node:stream')
const file = process.argv[1]
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-length': String(fs.statSync(file).size), 'content-type': 'application/octet-stream' })
  pipeline(fs.createReadStream(file, { highWaterMark: 1 << 20 }), res, () => {})
})
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'))
`

/**
 * The floor of any HTTP server on this machine: python3 answering with socket.sendfile, which hands
 * the file's pages to the socket with no copy through the server's memory (Node has no sendfile).
 */
export const SENDFILE_SERVER = `
import os, socket, sys
path = sys.argv[1]
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(4)
print(s.getsockname()[1], flush=True)
while True:
    c, _ = s.accept()
    head = b''
    while b'\\r\\n\\r\\n' not in head:
        got = c.recv(65536)
        if not got: break
        head += got
    c.sendall(b'HTTP/1.1 200 OK\\r\\nContent-Type: application/octet-stream\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n' % os.path.getsize(path))
    with open(path, 'rb') as f: c.sendfile(f)
    c.close()
`

/** A reference server in a process of its own, answering every request with the file; null when its interpreter is missing. */
export async function referenceServer(cmd: string, args: string[]): Promise<{ url: string; close(): Promise<void> } | null> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<string | null>((resolve, reject) => {
    child.stdout.once('data', (c: Buffer) => resolve(c.toString().trim()))
    child.once('error', () => resolve(null))
    child.once('exit', (code) => reject(new Error(`the reference server ${cmd} exited (${code})`)))
  })
  if (port === null) return null
  return {
    url: `http://127.0.0.1:${port}/`,
    close: async () => {
      child.kill('SIGTERM')
      if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r))
    },
  }
}

/**
 * An HTTP/1.1 GET as lean as a client can be: one socket, the body read into one reused 8 MiB
 * buffer and dropped (a chunked body decoded on the way). Prints "<status> <body bytes>" as the
 * bench's curl does. argv: host, port, path, Cookie header (may be empty).
 */
export const FAST_CLIENT = `
import socket, sys
host, port, path, cookie = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = socket.create_connection((host, port))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
req = 'GET %s HTTP/1.1\\r\\nHost: %s:%d\\r\\nConnection: close\\r\\n' % (path, host, port)
if cookie: req += 'Cookie: %s\\r\\n' % cookie
s.sendall((req + '\\r\\n').encode())
view = memoryview(bytearray(8 << 20))
head, status, chunked = b'', None, False
total, left, line, done = 0, 0, b'', False
def body(data):
    global total, left, line, done
    if not chunked:
        total += len(data)
        return
    i = 0
    while i < len(data) and not done:
        if left > 0:
            take = min(left, len(data) - i)
            i += take
            left -= take
            continue
        nl = bytes(data[i:i + 64]).find(b'\\n')
        if nl < 0:
            line += bytes(data[i:])
            return
        line += bytes(data[i:i + nl])
        i += nl + 1
        size = line.split(b';')[0].strip()
        line = b''
        if not size: continue
        n = int(size, 16)
        if n == 0: done = True
        total += n
        left = n + 2
while True:
    n = s.recv_into(view)
    if not n: break
    if status is None:
        head += bytes(view[:n])
        end = head.find(b'\\r\\n\\r\\n')
        if end < 0: continue
        lines = head[:end].decode('latin-1').split('\\r\\n')
        status = lines[0].split(' ', 2)[1]
        chunked = any(l.lower().replace(' ', '') == 'transfer-encoding:chunked' for l in lines[1:])
        body(memoryview(head)[end + 4:])
    else:
        body(view[:n])
print(status, total, 'chunked' if chunked else 'length')
`
