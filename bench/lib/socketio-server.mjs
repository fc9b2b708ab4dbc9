// The peer for bench/fanout.mjs: a Socket.IO server (Picture Live's stack) in its own process.
// POST /broadcast emits the body to every connected client.
import { createServer } from 'node:http'
import { Server } from 'socket.io'

const port = Number(process.argv[2] ?? 8791)
const http = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/broadcast') return res.writeHead(404).end()
  let body = ''
  req.on('data', (chunk) => (body += chunk))
  req.on('end', () => {
    io.emit('event', body)
    res.end('ok')
  })
})
const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false })
http.listen(port, '127.0.0.1', () => console.log(`socket.io ready on ${port}`))
