// Runs the official LlamaCloud TypeScript SDK (@llamaindex/llama-cloud,
// pinned in package.json), unchanged, against `classifyd serve`.
//
// Needs LLAMA_CLOUD_BASE_URL and LLAMA_CLOUD_API_KEY (run.sh sets both).
// Prints one line per check and exits non-zero if any check fails.

import LlamaCloud, {
  toFile,
  AuthenticationError,
  NotFoundError,
  UnprocessableEntityError,
} from '@llamaindex/llama-cloud';
import http from 'node:http';

const baseURL = process.env.LLAMA_CLOUD_BASE_URL;
if (!baseURL || !process.env.LLAMA_CLOUD_API_KEY) {
  console.error('LLAMA_CLOUD_BASE_URL and LLAMA_CLOUD_API_KEY must be set');
  process.exit(2);
}

// The SDK reads the key and the base URL from the environment by itself.
const client = new LlamaCloud({ maxRetries: 0, timeout: 20_000 });

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

const rules = [
  {
    type: 'invoice',
    description: 'a bill asking for payment, with an invoice number, line items, tax and a total amount due',
  },
  { type: 'resume', description: "a CV describing a person's work experience, skills and education" },
];

const docs = [
  {
    name: 'invoice-1042.txt',
    text: 'INVOICE no. 1042\nBill to: ACME Ltd\nLine items: 3 widgets\nTax 20%\nTotal amount due: 120.00 EUR\n',
    type: 'invoice',
  },
  {
    name: 'jane-doe-cv.txt',
    text: 'Curriculum vitae (CV) of Jane Doe\nWork experience: 5 years\nSkills: Go, SQL\nEducation: MSc\n',
    type: 'resume',
  },
  { name: 'weather.txt', text: 'Sunny with light winds; cooler near the coast tonight.\n', type: null },
];

const files = [];
let job;

await check('files.create uploads small text documents', async () => {
  for (const [i, d] of docs.entries()) {
    const f = await client.files.create({
      file: await toFile(Buffer.from(d.text), d.name, { type: 'text/plain' }),
      purpose: 'classify',
      external_file_id: `ext-${i}`,
    });
    assert(typeof f.id === 'string' && f.id.length > 0, `no id in ${JSON.stringify(f)}`);
    assert(f.name === d.name, `name ${f.name}, want ${d.name}`);
    assert(typeof f.project_id === 'string', 'no project_id');
    assert(f.purpose === 'classify', `purpose ${f.purpose}`);
    assert(f.external_file_id === `ext-${i}`, `external_file_id ${f.external_file_id}`);
    files.push({ ...d, id: f.id });
  }
  return files.map((f) => f.id).join(', ');
});

await check('files.list filters by file_ids and pages', async () => {
  const seen = [];
  for await (const f of client.files.list({ file_ids: files.map((f) => f.id), page_size: 2 })) {
    seen.push(f.id);
  }
  assert(seen.length === files.length, `listed ${seen.length} files, want ${files.length}`);
  assert(new Set(seen).size === seen.length, 'a file was listed twice');
  return `${seen.length} files over pages of 2`;
});

await check('files.get gives a download URL of the bytes', async () => {
  const link = await client.files.get(files[0].id, { expires_at_seconds: 120 });
  assert(typeof link.url === 'string' && link.expires_at, `answer ${JSON.stringify(link)}`);
  const resp = await fetch(link.url);
  assert(resp.ok, `download answered ${resp.status}`);
  const text = await resp.text();
  assert(text === files[0].text, 'downloaded bytes differ from the upload');
  return `${text.length} bytes`;
});

await check('classifier.jobs.create starts a PENDING job', async () => {
  job = await client.classifier.jobs.create({
    file_ids: files.map((f) => f.id),
    rules,
    mode: 'FAST',
    parsing_configuration: { lang: 'en', max_pages: 5 },
  });
  assert(job.id, 'no job id');
  assert(job.status === 'PENDING', `status ${job.status}`);
  assert(job.rules.length === rules.length, 'rules not echoed');
  assert(job.mode === 'FAST', `mode ${job.mode}`);
  assert(job.parsing_configuration?.lang === 'en', 'parsing_configuration not echoed');
  return `job ${job.id}`;
});

await check('classifier.jobs.get returns the job', async () => {
  const got = await client.classifier.jobs.get(job.id);
  assert(got.id === job.id, `id ${got.id}`);
  assert(['PENDING', 'SUCCESS'].includes(got.status), `status ${got.status}`);
  assert(typeof got.user_id === 'string' && typeof got.project_id === 'string', 'user_id/project_id missing');
  return `status ${got.status}`;
});

await check('classifier.jobs.waitForCompletion reaches SUCCESS', async () => {
  const done = await client.classifier.jobs.waitForCompletion(job.id, {}, { pollingInterval: 0.1, timeout: 60 });
  assert(done.status === 'SUCCESS', `status ${done.status} (${done.error_message})`);
  return `status ${done.status}`;
});

await check('classifier.jobs.getResults gives each file its type', async () => {
  const res = await client.classifier.jobs.getResults(job.id);
  assert(Array.isArray(res.items), 'no items');
  assert(res.items.length === files.length, `${res.items.length} items, want ${files.length}`);
  assert(res.next_page_token == null, 'a one-page result set has a next_page_token');
  const byFile = new Map(res.items.map((it) => [it.file_id, it]));
  const out = [];
  for (const f of files) {
    const it = byFile.get(f.id);
    assert(it, `no result for ${f.name}`);
    assert(it.classify_job_id === job.id, 'classify_job_id wrong');
    assert(it.result, `result of ${f.name} is null`);
    assert(it.result.type === f.type, `${f.name}: type ${it.result.type}, want ${f.type}`);
    assert(it.result.confidence >= 0 && it.result.confidence <= 1, `confidence ${it.result.confidence}`);
    assert(typeof it.result.reasoning === 'string' && it.result.reasoning.length > 0, 'no reasoning');
    out.push(`${f.name}=${it.result.type}`);
  }
  return out.join(', ');
});

await check('classifier.jobs.list pages with page_size over more jobs than a page', async () => {
  const created = [job.id];
  for (let i = 0; i < 4; i++) {
    const j = await client.classifier.jobs.create({ file_ids: [files[0].id], rules });
    created.push(j.id);
  }
  // Page by hand, to count pages...
  let page = await client.classifier.jobs.list({ page_size: 2 });
  let pages = 1;
  const seen = [...page.items.map((j) => j.id)];
  while (page.hasNextPage()) {
    page = await page.getNextPage();
    pages++;
    seen.push(...page.items.map((j) => j.id));
  }
  assert(pages >= 3, `${pages} pages for ${seen.length} jobs at page_size 2`);
  assert(new Set(seen).size === seen.length, 'a job was listed twice');
  for (const id of created) assert(seen.includes(id), `job ${id} missing from the list`);
  // ...and with the SDK's auto-pagination.
  let n = 0;
  for await (const j of client.classifier.jobs.list({ page_size: 2 })) {
    assert(j.id && j.status, 'job without id or status');
    n++;
  }
  assert(n === seen.length, `auto-pagination saw ${n} jobs, manual ${seen.length}`);
  return `${seen.length} jobs over ${pages} pages of 2`;
});

await check('webhook_configurations: the job is POSTed to the webhook when done', async () => {
  let resolve;
  const got = new Promise((r) => (resolve = r));
  const hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      res.end('ok');
      resolve({ headers: req.headers, body });
    });
  });
  await new Promise((r) => hook.listen(0, '127.0.0.1', r));
  try {
    const j = await client.classifier.jobs.create({
      file_ids: [files[1].id],
      rules,
      webhook_configurations: [
        {
          webhook_url: `http://127.0.0.1:${hook.address().port}/hook`,
          webhook_headers: { 'X-Token': 'sdk-test' },
          webhook_events: ['classify.success'],
        },
      ],
    });
    const timeout = new Promise((_, rej) => setTimeout(() => rej(new Error('no webhook in 20s')), 20_000));
    const { headers, body } = await Promise.race([got, timeout]);
    assert(headers['x-token'] === 'sdk-test', `headers ${JSON.stringify(headers)}`);
    const sent = JSON.parse(body);
    assert(sent.id === j.id && sent.status === 'SUCCESS', `body ${body}`);
    return `${headers['x-classifyd-event']} for job ${j.id}`;
  } finally {
    hook.close();
  }
});

await check('an unknown job is a 404 (NotFoundError)', async () => {
  try {
    await client.classifier.jobs.get('0190f000-0000-7000-8000-000000000000');
  } catch (err) {
    assert(err instanceof NotFoundError, `got ${err?.constructor?.name}: ${err}`);
    assert(err.status === 404, `status ${err.status}`);
    assert(typeof err.error?.detail === 'string', `detail ${JSON.stringify(err.error)}`);
    return `404 "${err.error.detail}"`;
  }
  throw new Error('no error');
});

await check('an invalid job is a 422 with FastAPI detail', async () => {
  try {
    await client.classifier.jobs.create({ file_ids: [files[0].id], rules: [] });
  } catch (err) {
    assert(err instanceof UnprocessableEntityError, `got ${err?.constructor?.name}: ${err}`);
    assert(err.status === 422, `status ${err.status}`);
    const detail = err.error?.detail;
    assert(Array.isArray(detail) && detail.length > 0, `detail ${JSON.stringify(err.error)}`);
    const d = detail[0];
    assert(JSON.stringify(d.loc) === '["body","rules"]', `loc ${JSON.stringify(d.loc)}`);
    assert(d.msg && d.type, 'msg/type missing');
    return `422 loc=${JSON.stringify(d.loc)} type=${d.type}`;
  }
  throw new Error('no error');
});

await check('a wrong API key is a 401 (AuthenticationError)', async () => {
  const bad = new LlamaCloud({ apiKey: 'not-the-key', baseURL, maxRetries: 0 });
  try {
    await bad.classifier.jobs.list();
  } catch (err) {
    assert(err instanceof AuthenticationError, `got ${err?.constructor?.name}: ${err}`);
    assert(err.status === 401, `status ${err.status}`);
    return `401 "${err.error?.detail}"`;
  }
  throw new Error('no error');
});

await check('files.delete removes a file', async () => {
  await client.files.delete(files[2].id);
  const left = [];
  for await (const f of client.files.list({ file_ids: [files[2].id] })) left.push(f.id);
  assert(left.length === 0, 'deleted file still listed');
  try {
    await client.classifier.jobs.create({ file_ids: [files[2].id], rules });
  } catch (err) {
    assert(err.status === 422, `status ${err.status}`);
    return 'deleted; a job naming it is refused with 422';
  }
  throw new Error('a job naming a deleted file was accepted');
});

console.log(`${checks - failures}/${checks} checks passed`);
process.exit(failures ? 1 : 0);
