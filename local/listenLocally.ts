import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Binds a local service to 127.0.0.1 only (never another interface), on `port` or a free one for
 * 0, and gives its base URL. Rejects with the listen error (EADDRINUSE, …) and leaves no handler.
 */
export function listenLocally(server: Server, port = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
}
