// node-postgres client for test_apps_jdbc_node.py (issue 4 acceptance 3): result.command and
// result.rowCount of DELETEs that go through Tombstone, over the simple protocol, the extended
// protocol (parameters) and a named prepared statement.
//   node soft_delete.js <port> <user>
const { Client } = require('pg');

async function main() {
  const client = new Client({
    host: '127.0.0.1', port: Number(process.argv[2]), user: process.argv[3], database: 'postgres',
  });
  await client.connect();
  const out = {};
  const brief = (r) => ({ command: r.command, rowCount: r.rowCount });
  out.simple = brief(await client.query('DELETE FROM users WHERE id = 3'));
  out.simpleAgain = brief(await client.query('DELETE FROM users WHERE id = 3'));
  out.params = brief(await client.query('DELETE FROM users WHERE id = $1', [4]));
  const named = { name: 'delete_user', text: 'DELETE FROM users WHERE id = $1' };
  out.named = [];
  for (const id of [5, 5, 6]) out.named.push(brief(await client.query({ ...named, values: [id] })));
  const ret = await client.query('DELETE FROM users WHERE id IN (7, 8) RETURNING id');
  out.returning = { ...brief(ret), ids: ret.rows.map((r) => r.id).sort() };
  const multi = await client.query('SELECT 1 AS one; DELETE FROM users WHERE id = 1');
  out.multi = multi.map(brief);
  out.live = (await client.query('SELECT count(*)::int AS n FROM users')).rows[0].n;
  await client.end();
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
