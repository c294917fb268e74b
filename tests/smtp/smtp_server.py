#!/usr/bin/env python3
"""A real SMTP server for end-to-end tests of ogp-pulse, built on aiosmtpd.

Each accepted message is saved as DIR/<n>.eml (n = 1, 2, ...), written to a
temporary name first and then renamed, so a reader never sees half a file.

    python3 tests/smtp/smtp_server.py --port 0 --dir /tmp/mail [--fail-first K] [--reject]

--port 0 picks a free port. Once the server accepts connections it prints
`listening on PORT` to stdout (flushed). --fail-first K answers the end of the
first K DATA commands with `451 4.3.0 Try again later`; --reject answers every
RCPT with `550 5.1.1 No such user`. SIGTERM or SIGINT stops it.
"""

import argparse
import asyncio
import logging
import os
import signal
import sys

from aiosmtpd.smtp import SMTP


class Handler:
    def __init__(self, directory, fail_first, reject):
        self.directory = directory
        self.fail_first = fail_first
        self.reject = reject
        self.data_commands = 0
        self.saved = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_commands += 1
        if self.data_commands <= self.fail_first:
            return "451 4.3.0 Try again later"
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        self.saved += 1
        final = os.path.join(self.directory, f"{self.saved}.eml")
        temporary = os.path.join(self.directory, f".{self.saved}.eml.tmp")
        with open(temporary, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, final)
        return "250 2.0.0 OK: queued"


async def serve(args):
    os.makedirs(args.dir, exist_ok=True)
    handler = Handler(args.dir, args.fail_first, args.reject)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="smtp.test", decode_data=False),
        host="127.0.0.1",
        port=args.port,
    )
    port = server.sockets[0].getsockname()[1]
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print(f"listening on {port}", flush=True)
    await stop.wait()
    server.close()
    await server.wait_closed()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--dir", required=True, help="where accepted messages are saved")
    parser.add_argument("--fail-first", type=int, default=0, metavar="K",
                        help="answer the first K DATA commands with 451")
    parser.add_argument("--reject", action="store_true",
                        help="answer RCPT with 550 5.1.1")
    args = parser.parse_args()
    if args.fail_first < 0:
        parser.error("--fail-first must be 0 or more")
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
