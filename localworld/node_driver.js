// Runs one invocation of a deployed Node.js Lambda handler for the local endpoint (the CDK's own
// custom resource providers, e.g. Custom::VpcRestrictDefaultSG), in place of moto's Docker runner.
//
// argv: asset directory, handler ("file.function"); the event arrives on stdin. The handler's AWS SDK
// calls reach the endpoint through AWS_ENDPOINT_URL. A CloudFormation custom resource handler answers
// by an HTTPS PUT to the event's ResponseURL; that request is captured here instead of being sent, and
// printed as the last line ("HADRILL-CFN-RESPONSE <json>") for the endpoint to hand to CloudFormation.
"use strict";
const https = require("https");
const path = require("path");
const { EventEmitter } = require("events");

https.request = (options, callback) => {
  const request = new EventEmitter();
  let body = "";
  request.write = (chunk) => {
    body += chunk;
  };
  request.end = () => {
    process.stdout.write(`\nHADRILL-CFN-RESPONSE ${body}\n`);
    const response = new EventEmitter();
    response.statusCode = 200;
    response.resume = () => {};
    setImmediate(() => callback(response));
  };
  return request;
};

async function main() {
  const [asset, handler] = process.argv.slice(2);
  const dot = handler.lastIndexOf(".");
  const module = require(path.join(asset, handler.slice(0, dot)));
  let input = "";
  for await (const chunk of process.stdin) input += chunk;
  const context = {
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME || "",
    awsRequestId: "local",
    getRemainingTimeInMillis: () => 60000,
  };
  const result = await module[handler.slice(dot + 1)](JSON.parse(input), context);
  process.stdout.write(`\nHADRILL-RESULT ${JSON.stringify(result === undefined ? null : result)}\n`);
}

main().catch((error) => {
  process.stdout.write(`\nHADRILL-ERROR ${JSON.stringify({ errorType: error.name, errorMessage: error.message })}\n`);
  process.exitCode = 1;
});
