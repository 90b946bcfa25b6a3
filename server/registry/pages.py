"""The page a phone's camera app opens from a QR: `/t/{code}`.

Server-rendered and bilingual: what the thing is and where it is, after login. Its style
and its login script are files of their own (`/t/page.css`, `/t/login.js`): every HTML page
is sent with a policy that refuses inline code.
"""

from __future__ import annotations

from html import escape

from server.registry.wire import TagResolution

STYLE = """
body{font-family:system-ui,"WenQuanYi Micro Hei","Noto Sans CJK SC",sans-serif;margin:0;
background:#f4f5f7;color:#1d2430}main{max-width:32rem;margin:0 auto;padding:1rem}
.card{background:#fff;border-radius:12px;padding:1rem 1.25rem;box-shadow:0 1px 3px #0002}
h1{font-size:1.4rem;margin:.2rem 0}.muted{color:#5b6576}.code{font:600 1.1rem monospace}
dl{display:grid;grid-template-columns:auto 1fr;gap:.35rem 1rem}dt{color:#5b6576}
input,button{font-size:1.1rem;padding:.7rem;width:100%;box-sizing:border-box;margin:.3rem 0}
button{background:#1f6feb;color:#fff;border:0;border-radius:8px}.warn{color:#b42318}
"""
LOGIN_SCRIPT = """document.getElementById('f').addEventListener('submit', async (e) => {
  e.preventDefault();
  const r = await fetch('/api/auth/login', {method: 'POST',
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({username: e.target.u.value, password: e.target.p.value})});
  if (r.ok) { location.reload(); return; }
  const p = await r.json().catch(() => ({detail: r.statusText}));
  document.getElementById('err').textContent = p.detail;
});
"""


def _page(title: str, body: str, status_note: str = "") -> str:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<title>{escape(title)} · Roundkeeper</title><link rel="stylesheet" href="/t/page.css">'
        "</head>"
        f"<body><main>{status_note}<div class=card>{body}</div></main></body></html>"
    )


def invalid_code_page(code: str, reason: str) -> str:
    return _page(
        "无效编码 Invalid code",
        f"<h1>无效编码 · Invalid code</h1><p class=code>{escape(code)}</p>"
        f"<p class=warn>{escape(reason)}</p>"
        "<p class=muted>请核对标签上的编码。Check the code printed on the label.</p>",
    )


def not_found_page(code: str) -> str:
    return _page(
        "未找到 Not found",
        f"<h1>未找到 · Not found</h1><p class=code>{escape(code)}</p>"
        "<p class=muted>此标签不属于您所在的学校，或尚未登记。"
        "This tag is not registered at a school you belong to.</p>",
    )


def login_page(code: str) -> str:
    # method=post: were the script not run, the password must not end up in the address.
    return _page(
        "登录 Log in",
        f"<h1>登录 · Log in</h1><p class=muted>标签 Tag <span class=code>{escape(code)}</span></p>"
        "<form id=f method=post>"
        '<input name=u autocomplete=username placeholder="用户名 Username" required>'
        '<input name=p type=password autocomplete=current-password placeholder="密码 Password" '
        "required><button>登录 Log in</button></form><p id=err class=warn></p>"
        '<script src="/t/login.js" defer></script>',
    )


def tag_page(resolution: TagResolution) -> str:
    tag = resolution.tag
    note = ""
    if tag.status == "replaced":
        new = escape(resolution.replaced_by or "")
        note = (
            f'<p class="card warn">此标签已被替换，新标签 <a href="/t/{new}">{new}</a>。'
            "This label was replaced; please remove it.</p>"
        )
    elif tag.status == "retired":
        note = '<p class="card warn">此标签已停用。This tag is retired.</p>'
    rows: list[tuple[str, str]] = []
    target = resolution.target
    title = tag.printed_code
    if target and target.asset:
        asset = target.asset
        title = asset.name + (f" / {asset.name_en}" if asset.name_en else "")
        rows += [
            ("类别 Category", asset.category),
            ("位置 Location", " › ".join(asset.location_path) or "—"),
            ("编号 Asset no.", asset.asset_number or "—"),
            ("责任人 Keeper", asset.keeper_name or "—"),
            ("状态 Status", asset.status),
        ]
        rows += [(k, str(v)) for k, v in sorted(asset.attributes.items())]
    elif target and target.location:
        location = target.location
        title = location.name + (f" / {location.name_en}" if location.name_en else "")
        rows += [
            ("类型 Kind", location.kind),
            ("位置 Location", " › ".join(location.path[:-1]) or "—"),
            ("房间号 Code", location.code or "—"),
        ]
    listing = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    return _page(
        title,
        f"<p class=muted>标签 Tag <span class=code>{escape(tag.printed_code)}</span></p>"
        f"<h1>{escape(title)}</h1><dl>{listing}</dl>",
        note,
    )
