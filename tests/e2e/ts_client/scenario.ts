// compute -> diff -> validate -> evaluate through a client generated from the live OpenAPI
// document, reading only typed fields: no casts, no `any`.
// Usage: node dist/scenario.js BASE_URL PIPELINE.json LEGACY_POLICY.json
import { readFileSync } from "node:fs";
import createClient from "openapi-fetch";
import type { paths } from "./api.js";

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function readObject(path: string | undefined): Record<string, unknown> {
  if (path === undefined) throw new Error("usage: scenario BASE_URL PIPELINE LEGACY_POLICY");
  const parsed: unknown = JSON.parse(readFileSync(path, "utf8"));
  if (!isObject(parsed)) throw new Error(`${path} is not a JSON object`);
  return parsed;
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`failed: ${what}`);
  console.log(`ok: ${what}`);
}

const [baseUrl, pipelineFile, legacyFile] = process.argv.slice(2);
if (baseUrl === undefined) throw new Error("usage: scenario BASE_URL PIPELINE LEGACY_POLICY");
const client = createClient<paths>({ baseUrl });
const pipeline = readObject(pipelineFile);
const legacy = readObject(legacyFile);

// compute
const computed = await client.POST("/v1/policies/compute", { body: { pipelines: [pipeline] } });
if (computed.error !== undefined) throw new Error(`compute: ${computed.error.title}`);
const compute = computed.data;
const actions = compute.statements.flatMap((s) => s.actions);
check(actions.includes("codebuild:StartBuild"), "compute grants codebuild:StartBuild");
const citations = compute.statements.flatMap((s) => s.required_by.map((r) => r.citation.url));
check(citations.every((url) => url.startsWith("https://")), "every statement cites a source");
check(compute.provenance.profile_set_revision >= 1, "the answer names its profile set");
check(
  computed.response.headers.get("X-Findings") === String(compute.findings.length),
  "X-Findings counts the findings",
);

// the same policy as CloudFormation: text, with the findings and the role
const template = await client.POST("/v1/policies/compute/cloudformation", {
  body: { pipelines: [pipeline] },
  parseAs: "text",
});
if (template.error !== undefined) throw new Error(`cloudformation: ${template.error.title}`);
check(template.data.includes("Type: AWS::IAM::ManagedPolicy"), "the template holds the policy");
check(template.data.startsWith(`# Findings: ${compute.findings.length}`), "and the findings");

// a pipeline without an artifact store: the JSON answer says ERROR, the snippet is refused
const { artifactStore: _dropped, ...storeless } = isObject(pipeline.pipeline) ? pipeline.pipeline : {};
const refused = await client.POST("/v1/policies/compute/terraform", {
  body: { pipelines: [{ pipeline: storeless }] },
  parseAs: "text",
});
check(refused.response.status === 422, "an ERROR finding refuses the snippet");
const problem = refused.error;
// Of the problems this operation documents, only its 422 carries findings.
const findings = problem !== undefined && "findings" in problem ? (problem.findings ?? []) : [];
const blocking = findings.filter((f) => f.finding_type === "ERROR");
check(blocking.some((f) => f.code === "NO_ARTIFACT_STORE"), "the refusal lists the ERROR");

// diff the legacy 2019 default policy against the pipeline
const diffed = await client.POST("/v1/policies/diff", {
  body: { current: { documents: [legacy] }, required: { pipelines: [pipeline] } },
});
if (diffed.error !== undefined) throw new Error(`diff: ${diffed.error.title}`);
const diff = diffed.data;
check(diff.verdict === "insufficient", "the legacy policy is insufficient");
check(diff.patched_verdict === "sufficient", "its patched policy is sufficient");
check(
  diff.missing.some((m) => m.actions.includes("codecommit:GetRepository")),
  "codecommit:GetRepository is missing",
);
check(diff.excess.total_actions > 1000, "the legacy policy grants far more");

// the role's trust policy, as compute gives it, is sufficient by diff
const trusts = compute.companions.documents.filter((d) => d.kind === "trust-policy");
check(
  trusts.length > 0 && trusts.every((d) => d.statements.every((st) => st.reasons.length > 0)),
  "compute gives the trust policy of the service role, with reasons",
);
const companionDiff = await client.POST("/v1/policies/diff", {
  body: {
    current: {
      documents: [legacy],
      companions: trusts.map((d) => ({
        kind: "trust-policy" as const,
        target: d.target,
        document: d.policy,
      })),
    },
    required: { pipelines: [pipeline] },
  },
});
if (companionDiff.error !== undefined) throw new Error(`diff: ${companionDiff.error.title}`);
check(
  companionDiff.data.companions.length === trusts.length &&
    companionDiff.data.companions.every((c) => c.verdict === "sufficient"),
  "diff calls each trust policy sufficient",
);

// validate the patched policy
const validated = await client.POST("/v1/policies/validate", {
  body: { policy: { documents: [diff.patched_policy] } },
});
if (validated.error !== undefined) throw new Error(`validate: ${validated.error.title}`);
check(validated.data.valid, "the patched policy is valid");
check(validated.data.size.fits, "and fits a managed policy");

// evaluate the computed policy
const evaluated = await client.POST("/v1/policies/evaluate", {
  body: {
    policy: { documents: [compute.policy] },
    requests: [
      {
        action: "codebuild:StartBuild",
        resource: "arn:aws:codebuild:eu-west-2:111122223333:project/my-build",
      },
      { action: "codebuild:DeleteProject" },
    ],
  },
});
if (evaluated.error !== undefined) throw new Error(`evaluate: ${evaluated.error.title}`);
const [startBuild, deleteProject] = evaluated.data.results;
check(startBuild?.decision === "allowed", "StartBuild on the project is allowed");
check(deleteProject?.decision === "implicitly_denied", "DeleteProject is not");

console.log("scenario passed");
