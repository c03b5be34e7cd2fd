import http from 'node:http'
import net from 'node:net'

export interface ReceivedMail {
  from: string
  to: string[]
  data: string
}

/**
 * A tiny SMTP server on 127.0.0.1: enough of RFC 5321 (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP,
 * QUIT) for nodemailer to deliver to it in plain text, keeping what it receives.
 */
export async function smtpListener(): Promise<{ url: string; mails: ReceivedMail[]; close(): Promise<void> }> {
  const mails: ReceivedMail[] = []
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    let buffer = ''
    let inData = false
    let mail: ReceivedMail = { from: '', to: [], data: '' }
    const reply = (line: string) => socket.write(line + '\r\n')
    reply('220 test.local ESMTP')
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8')
      for (let i = buffer.indexOf('\r\n'); i >= 0; i = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, i)
        buffer = buffer.slice(i + 2)
        if (inData) {
          if (line === '.') {
            inData = false
            mails.push(mail)
            mail = { from: '', to: [], data: '' }
            reply('250 OK queued')
          } else mail.data += (line.startsWith('..') ? line.slice(1) : line) + '\n'
          continue
        }
        const verb = line.slice(0, 4).toUpperCase()
        if (verb === 'EHLO') socket.write('250-test.local\r\n250 8BITMIME\r\n')
        else if (verb === 'HELO') reply('250 test.local')
        else if (verb === 'MAIL') {
          mail.from = /<([^>]*)>/.exec(line)?.[1] ?? ''
          reply('250 OK')
        } else if (verb === 'RCPT') {
          mail.to.push(/<([^>]*)>/.exec(line)?.[1] ?? '')
          reply('250 OK')
        } else if (verb === 'DATA') {
          inData = true
          reply('354 End data with <CR><LF>.<CR><LF>')
        } else if (verb === 'QUIT') {
          reply('221 Bye')
          socket.end()
        } else if (verb === 'RSET' || verb === 'NOOP') reply('250 OK')
        else reply('502 Command not implemented')
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

export interface ReceivedHook {
  body: unknown
  contentType: string | undefined
}

/** An HTTP receiver on 127.0.0.1 answering each POST with the next status of `statuses` (then 200). */
export async function webhookListener(statuses: number[] = []): Promise<{ url: string; received: ReceivedHook[]; answered: number[]; close(): Promise<void> }> {
  const received: ReceivedHook[] = []
  const answered: number[] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const status = statuses.shift() ?? 200
      answered.push(status)
      if (status < 300) received.push({ body: JSON.parse(Buffer.concat(chunks).toString('utf8')), contentType: req.headers['content-type'] })
      res.writeHead(status, { 'content-type': 'text/plain' })
      res.end(status < 300 ? 'ok' : 'nope')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    answered,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
