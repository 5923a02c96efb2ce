// run.mjs evaluates bedrockdoctor iampolicy test cases with the outside
// oracle @cloud-copilot/iam-simulate, all in one node process.
//
// Input (stdin): a JSON array of cases in the shape of
// internal/iampolicy/testdata/cases/*.json ("request" + "policies"; other
// fields are ignored). Output (stdout): a JSON array with one result per
// case, in input order:
//
//   {"decision": "allow" | "explicit-deny" | "implicit-deny" | "",
//    "error": "...",               // set when the oracle could not evaluate
//    "via": "simulate" | "engine", // see engineFallback below
//    "blocked_by": [...],          // the oracle's own blockedBy list
//    "ignored_context_keys": [...],// keys the oracle dropped for this action
//    "types": {"identity": {"result": "Allowed", "allow": [...], "deny": [...]}, ...}}
//
// The mapping from our model to the oracle's is documented case by case in
// README.md; every choice below is there so that both evaluators answer the
// same question.
//
// Exit status: 0 when every case produced a result (a per-case oracle error
// is a result), 2 on bad input, 1 when the oracle itself cannot be loaded.

import { runSimulation } from '@cloud-copilot/iam-simulate'
import { loadPolicy } from '@cloud-copilot/iam-policy'

// The engine fallback reaches into the same installed package: runSimulation
// refuses resource ARNs that match no resource type of iam-data, and the
// region-less global foundation-model ARN (arn:aws:bedrock:::foundation-model/X,
// https://docs.aws.amazon.com/bedrock/latest/userguide/global-cross-region-inference.html)
// is one of them. For those cases only, we run the oracle's own authorize()
// with the same loaded policies and the same context normalization that
// runSimulation uses; the decision logic is still entirely the oracle's.
const pkgEntry = import.meta.resolve('@cloud-copilot/iam-simulate')
const internal = (rel) => import(new URL(rel, pkgEntry).href)
const [
  { authorize },
  { AwsRequestImpl },
  { RequestContextImpl },
  { DiscoveryContextKeyConstraints },
  { normalizeSimulationParameters },
  { getResourceTypesForAction }
] = await Promise.all([
  internal('./core_engine/CoreSimulatorEngine.js'),
  internal('./request/request.js'),
  internal('./requestContext.js'),
  internal('./context_keys/discoveryContextKeyConstraints.js'),
  internal('./simulation_engine/simulationEngine.js'),
  internal('./simulation_engine/resourceTypes.js')
])

const DECISIONS = {
  Allowed: 'allow',
  ExplicitlyDenied: 'explicit-deny',
  ImplicitlyDenied: 'implicit-deny'
}

// The oracle adds RCPFullAWSAccess to every RCP level itself (as AWS does);
// the engine fallback must do the same.
const RCP_FULL_AWS_ACCESS = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }]
}

class MappingError extends Error {}

// isRCPFullAWSAccess recognizes the AWS-managed RCP that is attached at every
// level and cannot be detached. The oracle adds it to every level itself and
// its RCP validator rejects it as input (custom RCPs may only Deny), so the
// harness drops it; a level without it is then evaluated as AWS would, with
// it.
function isRCPFullAWSAccess(doc) {
  const st = statementsOf(doc)
  if (st.length !== 1) return false
  const s = st[0]
  const one = (v) => (Array.isArray(v) && v.length === 1 ? v[0] : v)
  return (
    s.Effect === 'Allow' &&
    one(s.Principal) === '*' &&
    one(s.Action) === '*' &&
    one(s.Resource) === '*' &&
    s.Condition === undefined &&
    s.NotAction === undefined &&
    s.NotResource === undefined
  )
}

// parseDocument accepts a policy document as an object, as JSON text, or as
// URL-encoded JSON text (how IAM returns policy documents).
function parseDocument(doc, where) {
  if (doc === null || doc === undefined) {
    throw new MappingError(`${where}: missing document`)
  }
  if (typeof doc === 'object') {
    return doc
  }
  if (typeof doc !== 'string') {
    throw new MappingError(`${where}: document is ${typeof doc}, want object or string`)
  }
  const text = doc.trim()
  if (text.startsWith('{')) {
    try {
      return JSON.parse(text)
    } catch (e) {
      throw new MappingError(`${where}: ${e.message}`)
    }
  }
  try {
    return JSON.parse(decodeURIComponent(text))
  } catch (e) {
    throw new MappingError(`${where}: not JSON and not URL-encoded JSON: ${e.message}`)
  }
}

function statementsOf(doc) {
  const s = doc.Statement
  if (s === undefined) return []
  return Array.isArray(s) ? s : [s]
}

// mergeDocuments turns several policies of one kind into the single document
// the oracle accepts for that kind (one resource policy, one session policy).
// A union of statements is exact for IAM: allows are OR-ed and any deny wins,
// within a policy as across policies of the same kind. Version must agree
// because it changes how policy variables are read.
function mergeDocuments(named, where) {
  if (named.length === 1) return parseDocument(named[0].document, `${where}[0]`)
  const docs = named.map((p, i) => parseDocument(p.document, `${where}[${i}]`))
  const versions = new Set(docs.map((d) => d.Version ?? ''))
  if (versions.size > 1) {
    throw new MappingError(`${where}: cannot merge policies with different Version values`)
  }
  return { Version: docs[0].Version, Statement: docs.flatMap(statementsOf) }
}

// principalContext returns the global condition keys AWS derives from the
// caller, as documented in
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
// (aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalOrgID,
// aws:PrincipalTag/*, aws:username, aws:userid; the values per principal
// type are the table of reference_policies_variables.html). The oracle does
// not derive them; iampolicy.Evaluate does, when they are absent from the
// context.
function principalContext(p) {
  const out = {}
  const arn = p.arn ?? ''
  const sessionMatch = /^arn:[^:]+:sts::\d{12}:assumed-role\/[^/]+\/(.+)$/.exec(arn)
  const userMatch = /^arn:[^:]+:iam::\d{12}:user\/(?:.*\/)?([^/]+)$/.exec(arn)
  const rootMatch = /^arn:[^:]+:iam::(\d{12}):root$/.exec(arn)
  const federatedMatch = /^arn:[^:]+:sts::(\d{12}):federated-user\/(.+)$/.exec(arn)
  if (federatedMatch) {
    // A GetFederationToken session: aws:userid is account:caller-specified-name.
    out['aws:PrincipalArn'] = arn
    out['aws:userid'] = `${federatedMatch[1]}:${federatedMatch[2]}`
  } else if (sessionMatch) {
    // For a role session, aws:PrincipalArn is the role's ARN (with path).
    if (p.role_arn) out['aws:PrincipalArn'] = p.role_arn
    if (p.unique_id) out['aws:userid'] = `${p.unique_id}:${sessionMatch[1]}`
  } else if (arn) {
    out['aws:PrincipalArn'] = arn
    if (userMatch) {
      out['aws:username'] = userMatch[1]
      if (p.unique_id) out['aws:userid'] = p.unique_id
    } else if (rootMatch) {
      out['aws:userid'] = rootMatch[1]
    }
  }
  if (p.account) out['aws:PrincipalAccount'] = p.account
  if (p.org_id) out['aws:PrincipalOrgID'] = p.org_id
  for (const [k, v] of Object.entries(p.tags ?? {})) {
    out[`aws:PrincipalTag/${k}`] = v
  }
  return out
}

// toSimulation maps one case onto the oracle's Simulation input.
function toSimulation(c) {
  const req = c.request
  if (!req || typeof req !== 'object') throw new MappingError('request: missing')
  const pol = c.policies ?? {}
  const principal = req.principal ?? {}
  if (!principal.arn) throw new MappingError('request.principal.arn: missing')

  // Context: derived principal keys first, so that explicit keys of the
  // case win, compared case-insensitively as IAM compares key names.
  const context = {}
  const seen = new Map()
  const put = (k, v) => {
    const lk = k.toLowerCase()
    if (seen.has(lk)) delete context[seen.get(lk)]
    seen.set(lk, k)
    context[k] = v
  }
  for (const [k, v] of Object.entries(principalContext(principal))) put(k, v)
  for (const [k, v] of Object.entries(req.context ?? {})) {
    if (!Array.isArray(v)) throw new MappingError(`request.context.${k}: want an array of strings`)
    // A one-element list is passed as a plain string: the oracle types each
    // key from iam-data and turns a string into a list for multivalued keys.
    put(k, v.length === 1 ? v[0] : v)
  }

  // An empty resource account means a resource without an owner (a
  // foundation model), which AWS evaluates as same-account.
  const accountId = req.resource_account || principal.account || ''

  const sim = {
    request: {
      principal: principal.arn,
      action: req.action,
      resource: { resource: req.resource, accountId },
      contextVariables: context
    },
    identityPolicies: (pol.identity ?? []).map((p, i) => ({
      name: p.name || `identity[${i}]`,
      policy: parseDocument(p.document, `policies.identity[${i}]`)
    })),
    serviceControlPolicies: (pol.scps ?? []).map((level, l) => ({
      orgIdentifier: `scp-level-${l}`,
      policies: level.map((p, i) => ({
        name: p.name || `scp[${l}][${i}]`,
        policy: parseDocument(p.document, `policies.scps[${l}][${i}]`)
      }))
    })),
    resourceControlPolicies: (pol.rcps ?? []).map((level, l) => ({
      orgIdentifier: `rcp-level-${l}`,
      policies: level
        .map((p, i) => ({
          name: p.name || `rcp[${l}][${i}]`,
          policy: parseDocument(p.document, `policies.rcps[${l}][${i}]`)
        }))
        .filter((p) => !isRCPFullAWSAccess(p.policy))
    }))
  }
  if (pol.boundary) {
    sim.permissionBoundaryPolicies = [
      { name: pol.boundary.name || 'boundary', policy: parseDocument(pol.boundary.document, 'policies.boundary') }
    ]
  }
  if (pol.session && pol.session.length > 0) {
    sim.sessionPolicy = mergeDocuments(pol.session, 'policies.session')
  }
  if (pol.resource && pol.resource.length > 0) {
    sim.resourcePolicy = mergeDocuments(pol.resource, 'policies.resource')
  }
  if (pol.endpoint) {
    sim.vpcEndpointPolicies = [
      { name: pol.endpoint.name || 'endpoint', policy: parseDocument(pol.endpoint.document, 'policies.endpoint') }
    ]
  }
  return sim
}

// isRegionlessArn reports an ARN whose region (and account) are empty, such
// as the global foundation-model ARN.
function isRegionlessArn(arn) {
  const parts = arn.split(':')
  return parts.length >= 6 && parts[0] === 'arn' && parts[3] === ''
}

// engineFallback runs the oracle's authorize() on a simulation that
// runSimulation rejected only because iam-data has no resource type for the
// ARN. Policies are loaded unvalidated here, so it is used only after
// runSimulation has validated the same policies (see evaluate).
async function engineFallback(sim) {
  const load = (p) => loadPolicy(p.policy, { name: p.name })
  // The resource type only decides which context keys the oracle keeps; it
  // is looked up with a placeholder region, the ARN evaluated is unchanged.
  const arn = sim.request.resource.resource
  const [service, action] = sim.request.action.split(':')
  const parts = arn.split(':')
  parts[3] = 'us-east-1'
  const types = await getResourceTypesForAction(service, action, parts.join(':'))
  if (types.length !== 1) {
    return { error: `oracle: ${types.length} resource types for ${arn} even with a region` }
  }
  const { validContextValues, ignoredContextKeys } = await normalizeSimulationParameters(sim, types[0])
  const analysis = authorize({
    request: new AwsRequestImpl(
      sim.request.principal,
      { resource: sim.request.resource.resource, accountId: sim.request.resource.accountId },
      sim.request.action,
      new RequestContextImpl(validContextValues),
      false
    ),
    sessionPolicy: sim.sessionPolicy ? loadPolicy(sim.sessionPolicy, { name: 'SessionPolicy' }) : undefined,
    identityPolicies: sim.identityPolicies.map(load),
    serviceControlPolicies: sim.serviceControlPolicies.map((l) => ({
      orgIdentifier: l.orgIdentifier,
      policies: l.policies.map(load)
    })),
    resourceControlPolicies: sim.resourceControlPolicies.map((l) => ({
      orgIdentifier: l.orgIdentifier,
      policies: [loadPolicy(RCP_FULL_AWS_ACCESS, { name: 'RCPFullAWSAccess' }), ...l.policies.map(load)]
    })),
    resourcePolicy: sim.resourcePolicy ? loadPolicy(sim.resourcePolicy, {}) : undefined,
    permissionBoundaries: sim.permissionBoundaryPolicies?.map(load),
    vpcEndpointPolicies: sim.vpcEndpointPolicies?.map(load),
    simulationParameters: {
      simulationMode: 'Strict',
      discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([])
    },
    serviceSettings: { s3: {} }
  })
  return { analysis, ignoredContextKeys }
}

function statementRef(s) {
  const st = s.statement
  // The oracle numbers statements from 1; StatementRef.Index counts from 0.
  const id = st.sid() || `#${st.index() - 1}`
  return `${s.policyId ?? ''}:${id}`
}

function summarize(a) {
  if (!a) return undefined
  const out = { result: a.result }
  if (a.allowStatements?.length) out.allow = a.allowStatements.map(statementRef)
  if (a.denyStatements?.length) out.deny = a.denyStatements.map(statementRef)
  return out
}

function summarizeLevels(a) {
  if (!a || !a.ouAnalysis || a.ouAnalysis.length === 0) return undefined
  return { result: a.result, levels: a.ouAnalysis.map(summarize) }
}

// explain keeps the per-type verdicts of the oracle and the statements that
// decided them, keyed by our PolicyType words where they differ.
function explain(analysis) {
  const types = {
    'service control policy': summarizeLevels(analysis.scpAnalysis),
    'resource control policy': summarizeLevels(analysis.rcpAnalysis),
    'VPC endpoint policy': summarize(analysis.endpointAnalysis),
    'resource-based policy': analysis.resourceAnalysis?.result === 'NotApplicable' ? undefined : summarize(analysis.resourceAnalysis),
    'identity-based policy': summarize(analysis.identityAnalysis),
    'permissions boundary': summarize(analysis.permissionBoundaryAnalysis),
    'session policy': summarize(analysis.sessionAnalysis)
  }
  for (const k of Object.keys(types)) if (types[k] === undefined) delete types[k]
  return types
}

async function evaluate(c) {
  let sim
  try {
    sim = toSimulation(c)
  } catch (e) {
    if (e instanceof MappingError) return { decision: '', error: `mapping: ${e.message}` }
    throw e
  }
  const r = await runSimulation(sim, { simulationMode: 'Strict' })
  if (r.resultType === 'error') {
    if (r.errors.message === 'no.resource.types' && isRegionlessArn(sim.request.resource.resource)) {
      // runSimulation validates every policy before it looks at resource
      // types, so reaching this error means the policies passed validation.
      const { analysis, ignoredContextKeys, error } = await engineFallback(sim)
      if (error) return { decision: '', error }
      return result(analysis, ignoredContextKeys, 'engine')
    }
    return { decision: '', error: `oracle: ${JSON.stringify(r.errors)}` }
  }
  if (r.resultType !== 'single') {
    return { decision: '', error: `oracle: unexpected ${r.resultType} result (a wildcard in the request resource?)` }
  }
  return result(r.result.analysis, r.result.ignoredContextKeys ?? [], 'simulate')
}

function result(analysis, ignoredContextKeys, via) {
  const out = { decision: DECISIONS[analysis.result] ?? '', via, types: explain(analysis) }
  if (!out.decision) out.error = `oracle: unknown result ${analysis.result}`
  if (analysis.blockedBy?.length) out.blocked_by = analysis.blockedBy
  if (ignoredContextKeys.length) out.ignored_context_keys = ignoredContextKeys
  return out
}

async function readStdin() {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}

async function main() {
  let cases
  try {
    cases = JSON.parse(await readStdin())
  } catch (e) {
    process.stderr.write(`run.mjs: read cases from stdin: ${e.message}\n`)
    process.exit(2)
  }
  if (!Array.isArray(cases)) {
    process.stderr.write('run.mjs: stdin must be a JSON array of cases\n')
    process.exit(2)
  }
  const results = []
  for (const [i, c] of cases.entries()) {
    try {
      results.push(await evaluate(c))
    } catch (e) {
      // A crash inside the oracle on one case is that case's result, with
      // the index so it can be found again.
      results.push({ decision: '', error: `oracle crashed on case ${i}: ${e?.stack ?? e}` })
    }
  }
  process.stdout.write(JSON.stringify(results))
}

await main()
