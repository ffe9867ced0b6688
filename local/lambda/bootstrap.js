"use strict";
/* global process, require */
/**
 * The runtime side of a local Lambda container: loads the handler once (the cold start), then serves
 * invocations sent over the IPC channel one at a time, as a Lambda execution environment does.
 * Written next to the unpacked archive and run by the function's Node, with nothing but the
 * archive on its module path.
 */
const handlerSetting = process.env._HANDLER;
const dot = handlerSetting.lastIndexOf(".");
const started = Date.now();
let handler;
try {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the runtime loads the handler as Lambda does
  handler = require(`./${handlerSetting.slice(0, dot)}`)[handlerSetting.slice(dot + 1)];
  if (typeof handler !== "function") throw new Error(`${handlerSetting} is not a function`);
  process.send({ type: "ready", initMs: Date.now() - started });
} catch (error) {
  process.send({
    type: "initError",
    errorType: (error && error.name) || "Error",
    errorMessage: String((error && error.message) || error),
  });
  process.exit(1);
}

process.on("message", (message) => {
  if (message.type !== "invoke") return;
  const { id, event, requestId, deadline } = message;
  const context = {
    awsRequestId: requestId,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: "$LATEST",
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  Promise.resolve()
    .then(() => handler(event, context))
    .then(
      (result) => process.send({ type: "result", id, result: result === undefined ? null : result }),
      (error) =>
        process.send({
          type: "error",
          id,
          errorType: (error && error.name) || "Error",
          errorMessage: String((error && error.message) || error),
          stack: String((error && error.stack) || ""),
        }),
    );
});
