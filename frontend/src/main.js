// Placeholder until the one-map lands: tells whether the service and its database are ready.
const status = document.getElementById('status');

async function check() {
  try {
    const res = await fetch('/readyz');
    const body = await res.json();
    if (res.ok) {
      status.textContent = `服务就绪 / ready · PostGIS ${body.postgis} · schema ${body.schema}`;
      status.className = 'ok';
    } else {
      status.textContent = `数据库不可用 / database unavailable: ${body.detail}`;
      status.className = 'error';
    }
  } catch (err) {
    status.textContent = '无法连接服务 / the service is unreachable';
    status.className = 'error';
  }
}

check();
