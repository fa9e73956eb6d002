// A node-postgres workload for Tombstone's integration tests (issue 2, A2):
//   node workload.js 'postgresql://user@host:port/db'
// Prints a transcript (rows, commands, row counts, SQLSTATEs) that must be identical whether the
// URL points at PostgreSQL directly or at Tombstone.
'use strict';
const { Client } = require('pg');
const { from: copyFrom, to: copyTo } = require('pg-copy-streams');
const { pipeline } = require('stream/promises');
const { Readable, Writable } = require('stream');

function out(label, value) {
  console.log(label + ': ' + JSON.stringify(value));
}

function summary(res) {
  return { command: res.command, rowCount: res.rowCount, rows: res.rows,
           fields: res.fields.map((f) => f.name + '/' + f.dataTypeID) };
}

async function expectError(label, promise) {
  try {
    await promise;
    out(label, 'no error');
  } catch (e) {
    out(label, { code: e.code, message: e.message, detail: e.detail, constraint: e.constraint });
  }
}

async function main() {
  const client = new Client({ connectionString: process.argv[2] });
  const notices = [];
  client.on('notice', (n) => notices.push(n.message));
  await client.connect();

  // Simple protocol (no parameters) and extended protocol (parameters, unnamed statement).
  out('simple', summary(await client.query("SELECT 1 AS one, 'two' AS two, NULL AS three")));
  out('multi', (await client.query('SELECT 1 AS a; SELECT 2 AS b')).map(summary));
  out('params', summary(await client.query(
      'SELECT $1::int + 1 AS n, $2::text AS t, $3::jsonb AS j, $4::bytea AS b, $5::int[] AS a',
      [41, "it's", { k: [1, 'x'] }, Buffer.from([0, 255]), [1, null, 3]])));
  out('insert', summary(await client.query(
      'INSERT INTO items (id, name, qty) VALUES ($1, $2, $3), ($4, $5, $6)',
      [1, 'one', 1, 2, 'two', 2])));
  for (let i = 3; i < 10; i++) {
    // Named prepared statement: parsed once, then Bind/Execute only.
    const res = await client.query({
      name: 'ins',
      text: 'INSERT INTO items (id, name, qty) VALUES ($1, $2, $3) RETURNING id * 2 AS d',
      values: [i, 'n' + i, i * 10],
    });
    out('named ' + i, summary(res));
  }
  out('update', summary(await client.query('UPDATE items SET qty = qty + 1 WHERE id > $1', [5])));
  out('delete', summary(await client.query('DELETE FROM items WHERE id IN (2, 3) RETURNING name')));
  out('rows as arrays', (await client.query({
    text: 'SELECT id, name FROM items ORDER BY id', rowMode: 'array' })).rows);

  // Rollback, then an error inside a transaction and the recovery after it.
  await client.query('BEGIN');
  await client.query("INSERT INTO items (id, name) VALUES (50, 'rolled back')");
  await client.query('ROLLBACK');
  await client.query('BEGIN');
  await client.query("INSERT INTO items (id, name) VALUES (51, 'lost')");
  await expectError('division', client.query('SELECT 1 / $1::int', [0]));
  await expectError('aborted', client.query('SELECT 1'));
  await client.query('ROLLBACK');
  await expectError('duplicate', client.query("INSERT INTO items (id, name) VALUES (1, 'dup')"));
  await expectError('syntax', client.query('SELEC 1'));
  out('recovered',
      (await client.query('SELECT count(*)::int AS n FROM items WHERE id >= 50')).rows);

  // COPY in and out (pg-copy-streams), and a COPY that fails on bad data.
  const inStream =
      client.query(copyFrom('COPY items (id, name, qty) FROM STDIN WITH (FORMAT csv)'));
  await pipeline(Readable.from(['60,sixty,60\n', '61,"six, one",\n']), inStream);
  out('copy in', inStream.rowCount);
  const chunks = [];
  await pipeline(client.query(copyTo('COPY (SELECT * FROM items ORDER BY id) TO STDOUT WITH CSV')),
                 new Writable({ write(chunk, _enc, cb) { chunks.push(chunk); cb(); } }));
  out('copy out', Buffer.concat(chunks).toString());
  await expectError('copy error',
                    pipeline(Readable.from(['x\ty\n']),
                             client.query(copyFrom('COPY items (id, name) FROM STDIN'))));
  out('after copy error', (await client.query('SELECT count(*)::int AS n FROM items')).rows);

  await client.query("DO $$ BEGIN RAISE NOTICE 'notice from the server'; END $$");
  out('notices', notices);
  await client.end();
}

main().catch((e) => {
  console.error('workload failed:', e);
  process.exit(1);
});
