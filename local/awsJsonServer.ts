import { createServer, type Server } from "node:http";
import { text } from "node:stream/consumers";
import { listenLocally } from "./listenLocally";

/**
 * A minimal AWS JSON-protocol endpoint: routes `X-Amz-Target: <Prefix>.<Action>` to a
 * handler. Answers errors the way AWS does (`__type` plus message) so the SDK maps them to names.
 */
export type JsonAction = (input: Record<string, unknown>) => unknown;
export interface AwsFault {
  status: number;
  type: string;
  message: string;
}

export function awsFault(status: number, type: string, message: string): AwsFault {
  return { status, type, message };
}

function isFault(value: unknown): value is AwsFault {
  return typeof value === "object" && value !== null && "type" in value && "status" in value;
}

export async function startAwsJsonServer(
  port: number,
  actions: Record<string, JsonAction>,
): Promise<{ url: string; server: Server }> {
  const server = createServer(async (request, response) => {
    const target = String(request.headers["x-amz-target"] ?? "");
    const action = actions[target.split(".").pop() ?? ""];
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
      response.end(JSON.stringify(body));
    };
    if (!action) return send(400, { __type: "UnknownOperationException", message: `unsupported ${target}` });
    try {
      const result = action(JSON.parse((await text(request)) || "{}"));
      if (isFault(result)) return send(result.status, { __type: result.type, message: result.message });
      send(200, result);
    } catch (error) {
      send(500, { __type: "InternalFailure", message: String(error) });
    }
  });
  return { url: await listenLocally(server, port), server };
}
