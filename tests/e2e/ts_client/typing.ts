// What the generated types refuse: each line below must be a type error (`@ts-expect-error`
// fails the compilation when it is not), so the scenario's types are not `any`.
import createClient from "openapi-fetch";
import type { paths } from "./api.js";

const client = createClient<paths>({ baseUrl: "http://127.0.0.1:1" });

export async function refused(): Promise<void> {
  const computed = await client.POST("/v1/policies/compute", { body: { pipelines: [] } });
  if (computed.data !== undefined) {
    // @ts-expect-error: a compute answer has no verdict
    console.log(computed.data.verdict);
    // @ts-expect-error: the JSON operation answers JSON, never text
    console.log(computed.data.toUpperCase());
  }
  // @ts-expect-error: `arn_mode` takes only the documented modes
  await client.POST("/v1/policies/diff", { body: { current: {}, required: {}, arn_mode: "loose" } });
  // @ts-expect-error: the evaluate body needs its requests
  await client.POST("/v1/policies/evaluate", { body: { policy: {} } });
  const text = await client.POST("/v1/policies/diff/terraform", {
    body: { current: {}, required: {} },
    parseAs: "text",
  });
  if (text.data !== undefined) {
    // @ts-expect-error: a snippet is text
    console.log(text.data.verdict);
  }
}
