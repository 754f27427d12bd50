// Runs the official LlamaCloud TypeScript SDK 2.16.0 (Classify v2; the v1
// job methods are gone from it), unchanged, against `classifyd serve`.
// Installed under the alias llama-cloud-2.16 beside 2.4.1 (package.json).
//
// Needs LLAMA_CLOUD_BASE_URL and LLAMA_CLOUD_API_KEY (run.sh sets both).
// Prints one line per check and exits non-zero if any check fails.

import LlamaCloud, {
  toFile,
  AuthenticationError,
  BadRequestError,
  NotFoundError,
  UnprocessableEntityError,
} from 'llama-cloud-2.16';

const baseURL = process.env.LLAMA_CLOUD_BASE_URL;
if (!baseURL || !process.env.LLAMA_CLOUD_API_KEY) {
  console.error('LLAMA_CLOUD_BASE_URL and LLAMA_CLOUD_API_KEY must be set');
  process.exit(2);
}

const client = new LlamaCloud({ maxRetries: 0, timeout: 20_000 });
const poll = { pollingInterval: 0.05, maxInterval: 0.2, timeout: 30 };

let failures = 0;
let checks = 0;
async function check(name, fn) {
  checks++;
  try {
    const detail = await fn();
    console.log(`PASS ${name}${detail ? ` - ${detail}` : ''}`);
  } catch (err) {
    failures++;
    console.log(`FAIL ${name} - ${err?.stack || err}`);
  }
}
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

const configuration = {
  rules: [
    { type: 'invoice', description: 'a bill asking for payment, with an invoice number, line items, tax and a total amount due' },
    { type: 'resume', description: "a CV describing a person's work experience, skills and education" },
  ],
  mode: 'FAST',
  parsing_configuration: { lang: 'en', max_pages: 5, target_pages: '1,3-4' },
};
const docs = [
  { name: 'invoice-2042.txt', text: 'INVOICE no. 2042\nBill to: ACME Ltd\nLine items: 3 widgets\nTax 20%\nTotal amount due: 120.00 EUR\n', type: 'invoice' },
  { name: 'john-roe-cv.txt', text: 'Curriculum vitae (CV) of John Roe\nWork experience: 7 years\nSkills: Go, SQL\nEducation: MSc\n', type: 'resume' },
];
const run = Date.now().toString(36);

await check('SDK 2.16.0 has no v1 job methods', async () => {
  assert(typeof client.classifier?.jobs?.create !== 'function', 'client.classifier.jobs.create still exists');
  assert(typeof client.classify.create === 'function', 'no client.classify.create');
});

const files = [];
await check('files.create uploads the documents', async () => {
  for (const d of docs) {
    const f = await client.files.create({ file: await toFile(Buffer.from(d.text), d.name, { type: 'text/plain' }), purpose: 'classify' });
    assert(f.id, 'no file id');
    files.push({ ...d, id: f.id });
  }
  return files.map((f) => f.id).join(', ');
});

let job;
await check('classify.create with transaction_id', async () => {
  job = await client.classify.create({ file_input: files[0].id, configuration, transaction_id: `tx-${run}-0` });
  assert(['PENDING', 'RUNNING'].includes(job.status), `status ${job.status}`);
  assert(job.transaction_id === `tx-${run}-0` && job.file_input === files[0].id, JSON.stringify(job));
  return `${job.id} ${job.status}`;
});

await check('classify.create with the same transaction_id returns the same job', async () => {
  const again = await client.classify.create({ file_input: files[1].id, configuration, transaction_id: `tx-${run}-0` });
  assert(again.id === job.id, `${again.id} != ${job.id}`);
  assert(again.file_input === files[0].id, 'the new body was not ignored');
  return again.id;
});

await check('classify.waitForCompletion', async () => {
  const done = await client.classify.waitForCompletion(job.id, undefined, poll);
  assert(done.status === 'COMPLETED', `status ${done.status}`);
  assert(done.result?.type === 'invoice', `result ${JSON.stringify(done.result)}`);
  return `${done.result.type} ${done.result.confidence.toFixed(2)}`;
});

await check('classify.get', async () => {
  const got = await client.classify.get(job.id);
  assert(got.id === job.id && got.status === 'COMPLETED' && got.result?.type === 'invoice', JSON.stringify(got));
  assert(got.configuration.parsing_configuration?.target_pages === '1,3-4', 'target_pages not echoed');
});

let second;
await check('classify.run', async () => {
  second = await client.classify.run({ file_input: files[1].id, configuration, transaction_id: `tx-${run}-1` }, poll);
  assert(second.status === 'COMPLETED' && second.result?.type === 'resume', JSON.stringify(second));
  return `${second.id} ${second.result.type}`;
});

await check('classify.list pages (page_size 1) and filters status, job_ids', async () => {
  const extra = [];
  for (let i = 2; i < 5; i++) {
    extra.push((await client.classify.create({ file_input: files[i % 2].id, configuration, transaction_id: `tx-${run}-${i}` })).id);
  }
  for (const id of extra) await client.classify.waitForCompletion(id, undefined, poll);
  const seen = [];
  let pages = 0;
  let page = await client.classify.list({ page_size: 1 });
  for (;;) {
    pages++;
    seen.push(...page.items.map((j) => j.id));
    if (!page.hasNextPage()) break;
    page = await page.getNextPage();
  }
  assert(seen.length === 5 && new Set(seen).size === 5 && pages >= 5, `saw ${seen.length} jobs in ${pages} pages`);
  const byIds = [];
  for await (const j of client.classify.list({ job_ids: [job.id, second.id] })) byIds.push(j.id);
  assert(byIds.length === 2 && byIds.includes(job.id) && byIds.includes(second.id), `job_ids gave ${byIds}`);
  const completed = [];
  for await (const j of client.classify.list({ status: 'COMPLETED' })) completed.push(j.id);
  const pending = [];
  for await (const j of client.classify.list({ status: 'PENDING' })) pending.push(j.id);
  assert(completed.length === 5 && pending.length === 0, `COMPLETED ${completed.length}, PENDING ${pending.length}`);
  return `${seen.length} jobs in ${pages} pages; job_ids ${byIds.length}; COMPLETED ${completed.length}; PENDING ${pending.length}`;
});

await check('classify.cancel of a finished job is a 4xx other than 409 (not retried)', async () => {
  const retrying = new LlamaCloud({ maxRetries: 2, timeout: 20_000 });
  const t0 = Date.now();
  try {
    await retrying.classify.cancel(job.id);
  } catch (err) {
    assert(err instanceof BadRequestError && err.status !== 409, `${err.constructor.name} ${err.status}`);
    assert(Date.now() - t0 < 400, 'the SDK retried');
    return `${err.status} ${err.error?.detail}`;
  }
  throw new Error('cancel of a COMPLETED job succeeded');
});

await check('classify.get of an unknown job is a NotFoundError', async () => {
  try {
    await client.classify.get('no-such-job');
  } catch (err) {
    assert(err instanceof NotFoundError, `${err.constructor.name} ${err.status}`);
    return `${err.status}`;
  }
  throw new Error('no error');
});

await check('classify.create with a too short description is a 422', async () => {
  try {
    await client.classify.create({ file_input: files[0].id, configuration: { rules: [{ type: 'x', description: 'short' }] } });
  } catch (err) {
    assert(err instanceof UnprocessableEntityError, `${err.constructor.name} ${err.status}`);
    return `${err.status} ${JSON.stringify(err.error?.detail?.[0]?.loc)}`;
  }
  throw new Error('no error');
});

await check('a wrong API key is an AuthenticationError', async () => {
  const bad = new LlamaCloud({ apiKey: 'wrong', maxRetries: 0 });
  try {
    await bad.classify.list({});
  } catch (err) {
    assert(err instanceof AuthenticationError, `${err.constructor.name} ${err.status}`);
    return `${err.status}`;
  }
  throw new Error('no error');
});

console.log(`${checks - failures}/${checks} checks passed (SDK 2.16.0, Classify v2)`);
process.exit(failures ? 1 : 0);
