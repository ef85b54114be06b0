// Requests Node's HTTP parser refuses (headers over 16 KiB, broken request lines) never reach
// express; Node would answer them with an empty body. Answer with a Matrix error instead.
import { STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';

export function answerClientErrorsAsJson(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const body = JSON.stringify(
      status === 431 ? { errcode: 'M_TOO_LARGE', error: 'Request line or headers too large' } : { errcode: 'M_UNKNOWN', error: 'Malformed HTTP request' },
    );
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
}
