// One autocannon load, as the bench's generator process: its options as JSON on stdin (headers and body may hold the
// bench user's token or password, which must not be in argv), autocannon's result as JSON on stdout.
import autocannon from "autocannon";

let text = "";
for await (const chunk of process.stdin) text += chunk;
const result = await autocannon(JSON.parse(text));
process.stdout.write(JSON.stringify(result));
