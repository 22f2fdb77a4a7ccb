// smtp: the real SMTP server (npm smtp-server) that tests deliver e-mail
// to, on a loopback port. Each accepted message reaches onMail as
// { from, to, raw, messageId, subject, advisory } (advisory: the
// X-Bulwark-Advisory header as sent).
import { createServer as netServer } from 'node:net';

import { SMTPServer } from 'smtp-server';

export function freePort() {
  return new Promise((res) => {
    const s = netServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

export function mailHeader(raw, name) {
  const m = new RegExp(`^${name}: (.*)$`, 'mi').exec(raw.split('\r\n\r\n')[0]);
  return m ? m[1].trim() : null;
}

// port: a fixed one (a server started again after an outage), else a free
// one; delayMs: how long the server waits before accepting each message.
// Resolves to { server, port, close() }.
export async function startSmtpSink(onMail, { port, delayMs = 0 } = {}) {
  const p = port ?? await freePort();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, session, cb) {
      let raw = '';
      stream.on('data', (d) => { raw += d; });
      stream.on('end', () => setTimeout(() => {
        // accepted: from here the message is the receiver's, whatever the sender does
        onMail({
          from: session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          messageId: mailHeader(raw, 'Message-ID'),
          subject: mailHeader(raw, 'Subject'),
          advisory: mailHeader(raw, 'X-Bulwark-Advisory'),
        });
        cb();
      }, delayMs));
    },
  });
  server.on('error', () => {});   // a killed client resets its connection
  await new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(p, '127.0.0.1', res);
  });
  return { server, port: p, close: () => new Promise((r) => server.close(r)) };
}
