"""Benign HTTP requests for the WAF's false-positive measurement.

Generated from the word lists next to this file and the templates below: browsing with the
headers and cookies real browsers send, site search, REST/JSON APIs, form posts (also
multipart uploads), file downloads and links carrying tracking parameters. A fixed
pseudo-random sequence (a 64-bit LCG, not Python's random module) picks the words, so the
requests are identical on every run and Python version.
"""

import json
import os
import urllib.parse

import xml_documents  # tools/waf/benign/xml_documents.py

HERE = os.path.dirname(os.path.abspath(__file__))

# Requests per kind.
COUNTS = {"browse": 160, "search": 100, "api": 140, "form": 100, "download": 40,
          "tracking": 80, "xml": len(xml_documents.DOCUMENTS)}


def _lines(name):
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip() and not line.startswith("#")]


USER_AGENTS = [tuple(line.split("\t")) for line in _lines("user_agents.txt")]
API_CLIENTS = _lines("api_clients.txt")
QUERIES = _lines("search_queries.txt")
PRODUCTS = _lines("products.txt")
PEOPLE = [tuple(line.split("\t")) for line in _lines("people.txt")]
MESSAGES = [m.replace("\\n", "\r\n") for m in _lines("messages.txt")]
FILES = [(p, int(s)) for p, s in (line.split("\t") for line in _lines("files.txt"))]

LANGUAGES = ["en-US,en;q=0.9", "en-GB,en;q=0.9,en-US;q=0.8", "de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7",
             "fr-FR,fr;q=0.9,en;q=0.8", "es-ES,es;q=0.9", "ja,en-US;q=0.9,en;q=0.8",
             "en-US,en;q=0.5", "pt-BR,pt;q=0.9,en-US;q=0.8,en;q=0.7"]
HOST = "www.example.com"
API_HOST = "api.example.com"
REFERRERS = ["https://www.google.com/", "https://www.bing.com/", "https://duckduckgo.com/",
             "https://t.co/", "https://www.facebook.com/", "https://news.ycombinator.com/"]


class Lcg:
    """Knuth's MMIX LCG; the high bits are the output."""

    def __init__(self, seed):
        self.state = seed & 0xFFFFFFFFFFFFFFFF

    def next(self):
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        return self.state >> 33

    def below(self, n):
        return self.next() % n

    def pick(self, items):
        return items[self.below(len(items))]

    def digits(self, n):
        return "".join(str(self.below(10)) for _ in range(n))

    def chars(self, n, alphabet="0123456789abcdef"):
        return "".join(alphabet[self.below(len(alphabet))] for _ in range(n))


B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def slug(text):
    out = "".join(c.lower() if c.isalnum() else "-" for c in text)
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")


def form_encode(pairs):
    return "&".join(urllib.parse.quote_plus(k, safe="") + "=" + urllib.parse.quote_plus(v, safe="")
                    for k, v in pairs)


def http(method, target, headers, body=b""):
    if isinstance(body, str):
        body = body.encode("utf-8")
    head = "%s %s HTTP/1.1\r\n" % (method, target)
    head += "".join("%s: %s\r\n" % (k, v) for k, v in headers) + "\r\n"
    return head.encode("utf-8") + body


def cookies(rng, engine):
    """A cookie header like a returning visitor's: session, analytics, consent."""
    parts = []
    if rng.below(3):
        parts.append("_ga=GA1.1.%s.%s" % (rng.digits(10), "17" + rng.digits(8)))
        parts.append("_ga_%s=GS1.1.%s.4.1.%s.0.0.0" % (rng.chars(10, UPPER_ALNUM),
                                                     "17" + rng.digits(8), "17" + rng.digits(8)))
    if rng.below(2):
        parts.append("_fbp=fb.1.%s.%s" % ("17" + rng.digits(11), rng.digits(10)))
    kind = rng.below(4)
    if kind == 0:
        parts.append("PHPSESSID=" + rng.chars(26, "0123456789abcdefghijklmnopqrstuv"))
    elif kind == 1:
        parts.append("JSESSIONID=" + rng.chars(32, "0123456789ABCDEF"))
    elif kind == 2:
        parts.append("session=" + rng.chars(43, B64URL))
    else:
        parts.append("sid=s%3A" + rng.chars(32, B64URL) + "." + rng.chars(43, ALNUM))
    if rng.below(3) == 0:
        parts.append("OptanonConsent=isGpcEnabled=0&datestamp=Mon+Nov+13+2023+10%%3A%s%%3A33+"
                     "GMT%%2B0100+(Central+European+Standard+Time)&version=202310.1.0&"
                     "isIABGlobal=false&hosts=&landingPath=NotLandingPage&groups=C0001%%3A1%%2C"
                     "C0002%%3A%d%%2CC0004%%3A0" % ("%02d" % rng.below(60), rng.below(2)))
    if rng.below(3) == 0:
        parts.append("cart=%%7B%%22items%%22%%3A%d%%2C%%22currency%%22%%3A%%22EUR%%22%%7D"
                     % rng.below(9))
    if rng.below(4) == 0:
        parts.append("theme=dark; lang=en-US; tz=Europe%2FBerlin")
    if engine != "firefox" and rng.below(2):
        parts.append("csrftoken=" + rng.chars(32, ALNUM))
    return "; ".join(parts)


def browser_headers(rng, engine, ua, accept, dest, referer, cookie=None, host=HOST):
    """Headers in the order and spelling of the browser engine."""
    site = "same-origin" if referer and referer.startswith("https://" + host) else "cross-site"
    if not referer:
        site = "none"
    mode = "navigate" if dest == "document" else ("cors" if dest == "empty" else "no-cors")
    lang = rng.pick(LANGUAGES)
    if engine == "firefox":
        h = [("Host", host), ("User-Agent", ua), ("Accept", accept), ("Accept-Language", lang),
             ("Accept-Encoding", "gzip, deflate, br")]
        if referer:
            h.append(("Referer", referer))
        h.append(("Connection", "keep-alive"))
        if cookie:
            h.append(("Cookie", cookie))
        if dest == "document":
            h.append(("Upgrade-Insecure-Requests", "1"))
        h += [("Sec-Fetch-Dest", dest), ("Sec-Fetch-Mode", mode), ("Sec-Fetch-Site", site)]
        if dest == "document":
            h.append(("Sec-Fetch-User", "?1"))
        return h
    if engine == "safari":
        h = [("Host", host), ("Accept", accept), ("Sec-Fetch-Site", site),
             ("Accept-Encoding", "gzip, deflate, br"), ("Sec-Fetch-Mode", mode),
             ("User-Agent", ua), ("Accept-Language", lang.split(",")[0])]
        if referer:
            h.append(("Referer", referer))
        h += [("Sec-Fetch-Dest", dest), ("Connection", "keep-alive")]
        if cookie:
            h.append(("Cookie", cookie))
        return h
    brand = '"Microsoft Edge";v="119", "Chromium";v="119", "Not?A_Brand";v="24"' \
        if engine == "edge" else '"Google Chrome";v="119", "Chromium";v="119", "Not?A_Brand";v="24"'
    mobile = "?1" if "Mobile" in ua else "?0"
    platform = '"Android"' if "Android" in ua else ('"macOS"' if "Macintosh" in ua else
                                                  ('"Linux"' if "Linux" in ua else '"Windows"'))
    h = [("Host", host), ("Connection", "keep-alive"), ("sec-ch-ua", brand),
         ("sec-ch-ua-mobile", mobile), ("sec-ch-ua-platform", platform)]
    if dest == "document":
        h.append(("Upgrade-Insecure-Requests", "1"))
    h += [("User-Agent", ua), ("Accept", accept), ("Sec-Fetch-Site", site),
          ("Sec-Fetch-Mode", mode)]
    if dest == "document":
        h.append(("Sec-Fetch-User", "?1"))
    h.append(("Sec-Fetch-Dest", dest))
    if referer:
        h.append(("Referer", referer))
    h += [("Accept-Encoding", "gzip, deflate, br"), ("Accept-Language", lang)]
    if cookie:
        h.append(("Cookie", cookie))
    return h


ACCEPT_DOC = {
    "chrome": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
              "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
    "edge": "text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,image/apng,"
            "*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
    "firefox": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
               "*/*;q=0.8",
    "safari": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
}
ACCEPT_IMG = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"


def page_paths(rng):
    product = rng.pick(PRODUCTS)
    return rng.pick([
        "/", "/index.html", "/about-us", "/contact", "/blog/", "/cart", "/account/orders",
        "/products/%s-%s" % (slug(product), rng.digits(5)),
        "/category/%s?page=%d&sort=price_asc" % (rng.pick(["shoes", "kitchen", "electronics",
                                                            "garden", "kids"]), 1 + rng.below(9)),
        "/blog/2023/%02d/%s" % (1 + rng.below(12), slug(rng.pick(QUERIES))),
        "/help/faq#shipping", "/en-us/support/article/%s" % rng.digits(6),
        "/products/%s-%s?color=navy%%20blue&size=M" % (slug(product), rng.digits(5)),
        "/wiki/Special:Search?search=%s&go=Go" % urllib.parse.quote_plus(rng.pick(QUERIES)),
    ])


def browse(rng, n):
    engine, ua = USER_AGENTS[n % len(USER_AGENTS)]
    referer = None if rng.below(4) == 0 else (
        "https://%s%s" % (HOST, page_paths(rng)) if rng.below(2) else rng.pick(REFERRERS))
    cookie = cookies(rng, engine) if rng.below(5) else None
    asset = rng.below(3)
    if asset == 0:  # a page
        return http("GET", page_paths(rng),
                    browser_headers(rng, engine, ua, ACCEPT_DOC[engine], "document", referer,
                                    cookie))
    referer = "https://%s%s" % (HOST, page_paths(rng))
    if asset == 1:  # a stylesheet or script, possibly revalidated
        path = rng.pick(["/static/css/main.%s.css" % rng.chars(8),
                         "/static/js/app.%s.js" % rng.chars(8),
                         "/assets/vendor-%s.js?v=3.2.1" % rng.chars(10),
                         "/wp-content/themes/shop/style.css?ver=6.4.1"])
        accept = "text/css,*/*;q=0.1" if path.endswith("css") or ".css?" in path else "*/*"
        h = browser_headers(rng, engine, ua, accept, "style" if "css" in accept else "script",
                            referer, cookie)
        if rng.below(2):
            h += [("If-None-Match", 'W/"%s-%s"' % (rng.chars(4), rng.chars(11))),
                  ("If-Modified-Since", "Tue, 14 Nov 2023 08:%02d:31 GMT" % rng.below(60))]
        return http("GET", path, h)
    path = rng.pick(["/images/products/%s_%d.webp" % (slug(rng.pick(PRODUCTS)), 1 + rng.below(5)),
                     "/favicon.ico", "/img/logo@2x.png",
                     "/cdn-cgi/image/width=640,quality=75,format=auto/uploads/hero.jpg",
                     "/_next/image?url=%%2Fimages%%2Fbanner-%d.jpg&w=1920&q=75" % rng.below(9)])
    return http("GET", path, browser_headers(rng, engine, ua, ACCEPT_IMG, "image", referer, cookie))


def browser_get(target, n):
    """A plain browser navigation to `target` (used for the libinjection samples)."""
    rng = Lcg(0x5EED0000 + n)
    engine, ua = USER_AGENTS[n % len(USER_AGENTS)]
    return http("GET", target, browser_headers(rng, engine, ua, ACCEPT_DOC[engine], "document",
                                               "https://%s/" % HOST, cookies(rng, engine)))


def form_post(target, body, n, content_type="application/x-www-form-urlencoded"):
    """A browser form submission of `body` to `target`."""
    rng = Lcg(0xF0F00000 + n)
    engine, ua = USER_AGENTS[n % len(USER_AGENTS)]
    h = browser_headers(rng, engine, ua, ACCEPT_DOC[engine], "document",
                        "https://%s%s" % (HOST, target), cookies(rng, engine))
    body = body.encode("utf-8") if isinstance(body, str) else body
    at = 1 if engine != "safari" else 2
    h[at:at] = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    h.insert(at + 2, ("Origin", "https://" + HOST))
    return http("POST", target, h, body)


def search(rng, n):
    q = rng.pick(QUERIES)
    extra = rng.pick(["", "&page=2", "&sort=relevance&lang=en", "&category=all&price_max=500",
                      "&ref=nav_search&spellcheck=1"])
    quote = urllib.parse.quote if rng.below(3) == 0 else urllib.parse.quote_plus
    target = rng.pick(["/search?q=", "/search?query=", "/s?k=", "/shop/search?term="])
    target += quote(q, safe="") + extra
    if rng.below(5) == 0:  # the same query from the site's autocomplete (XHR)
        engine, ua = USER_AGENTS[n % len(USER_AGENTS)]
        h = browser_headers(rng, engine, ua, "application/json, text/plain, */*", "empty",
                            "https://%s/" % HOST, cookies(rng, engine))
        h.append(("X-Requested-With", "XMLHttpRequest"))
        return http("GET", "/api/suggest?prefix=%s&limit=8" % quote(q[:12], safe=""), h)
    return browser_get(target, n)


def jwt(rng):
    header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    return "%s.%s.%s" % (header, rng.chars(96, B64URL), rng.chars(43, B64URL))


def api_headers(rng, with_body, length=0):
    h = [("Host", API_HOST), ("User-Agent", rng.pick(API_CLIENTS)),
         ("Accept", rng.pick(["application/json", "application/json, text/plain, */*", "*/*"])),
         ("Accept-Encoding", "gzip, deflate")]
    auth = rng.below(4)
    if auth == 0:
        h.append(("Authorization", "Bearer " + jwt(rng)))
    elif auth == 1:
        h.append(("X-API-Key", rng.chars(32, ALNUM)))
    elif auth == 2:
        h.append(("Authorization", "Basic " + rng.chars(28, ALNUM) + "=="))
    if with_body:
        h += [("Content-Type", rng.pick(["application/json", "application/json; charset=utf-8"])),
              ("Content-Length", str(length))]
    if rng.below(3) == 0:
        h.append(("X-Request-ID", "%s-%s-4%s-a%s-%s" % (rng.chars(8), rng.chars(4), rng.chars(3),
                                                       rng.chars(3), rng.chars(12))))
    h.append(("Connection", "keep-alive"))
    return h


def api(rng, n):
    verb = rng.below(6)
    who = rng.pick(PEOPLE)
    if verb <= 1:
        target = rng.pick([
            "/api/v1/users/%d" % rng.below(100000),
            "/api/v2/orders?status=shipped&limit=50&offset=%d" % (50 * rng.below(20)),
            "/api/v1/products?ids=%d,%d,%d&fields=name,price,stock" % (
                rng.below(999), rng.below(999), rng.below(999)),
            "/api/v1/search?q=%s&per_page=20" % urllib.parse.quote(rng.pick(QUERIES), safe=""),
            "/v3/repos/example/gauntlet/issues?state=open&labels=bug,help%20wanted&sort=updated",
            "/api/v1/reports/sales?from=2023-10-01T00:00:00Z&to=2023-10-31T23:59:59Z&tz=UTC",
            "/api/v1/geo?lat=52.5200&lon=13.4050&radius=2.5km",
            "/health", "/api/v1/me", "/api/v1/feed?since_id=%s&count=25" % rng.digits(18),
        ])
        return http("GET", target, api_headers(rng, False))
    if verb == 5:
        return http(rng.pick(["DELETE", "HEAD", "OPTIONS"]),
                    "/api/v1/%s/%d" % (rng.pick(["orders", "sessions", "cart/items", "webhooks"]),
                                       rng.below(100000)), api_headers(rng, False))
    product = rng.pick(PRODUCTS)
    target, body = rng.pick([
        ("/api/v1/orders",
         {"items": [{"sku": "%s-%s" % (rng.chars(2, UPPER_ALNUM[:26]), rng.digits(4)),
                     "name": product, "qty": 1 + rng.below(4), "price": rng.below(20000) / 100}],
          "shipping": {"name": who[0], "street": "%d Main St., Apt. 4B" % rng.below(999),
                       "city": "Springfield", "zip": "62704"},
          "note": rng.pick(MESSAGES), "coupon": "SPRING-2024"}),
        ("/api/v1/users/%d" % rng.below(100000),
         {"email": who[1], "name": who[0], "marketing_opt_in": bool(rng.below(2)),
          "preferences": {"language": "en-US", "currency": "EUR", "timezone": "Europe/Berlin"}}),
        ("/graphql",
         {"query": "query GetOrder($id: ID!) { order(id: $id) { id status total "
                   "items { name quantity } } }", "variables": {"id": rng.digits(6)},
          "operationName": "GetOrder"}),
        ("/api/v1/products/%d/reviews" % rng.below(100000),
         {"rating": 1 + rng.below(5), "title": rng.pick(QUERIES), "body": rng.pick(MESSAGES),
          "tags": ["verified-purchase", "gift"]}),
        ("/api/v1/profile", {"op": "replace", "path": "/profile/display_name", "value": who[0]}),
        ("/collect/events",
         {"events": [{"type": "page_view", "url": "https://%s/products/%s" % (HOST, slug(product)),
                      "ts": 1700000000000 + rng.below(10 ** 9), "duration_ms": rng.below(60000)}],
          "device": {"os": "iOS 17.1.1", "model": "iPhone15,2", "app_version": "5.12.1"}}),
        ("/api/v1/auth/login",
         {"username": who[1].split("@")[0], "password": rng.pick(["Tr0ub4dor&3", "P@ssw0rd!2023",
                                                                  "correct horse battery staple",
                                                                  "Summer#2024?", "xK9$mq2*Lp"])}),
    ])
    text = json.dumps(body, ensure_ascii=bool(rng.below(2)), separators=rng.pick([(",", ":"),
                                                                                  (", ", ": ")]))
    data = text.encode("utf-8")
    # Creating goes by POST; updating a resource by PUT or PATCH.
    method = "POST" if target in ("/graphql", "/collect/events", "/api/v1/auth/login",
                                  "/api/v1/orders") or "reviews" in target \
        else rng.pick(["PUT", "PATCH"])
    return http(method, target, api_headers(rng, True, len(data)), data)


# A 1x1 transparent PNG, as a browser uploads a small image.
PNG_1x1 = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                        "1f15c4890000000d49444154789c63000100000500010d0a2db4"
                        "0000000049454e44ae426082")


def multipart(rng, n):
    boundary = "----WebKitFormBoundary" + rng.chars(16, ALNUM)
    who = rng.pick(PEOPLE)
    parts = [(None, "name", who[0]), (None, "email", who[1])]
    upload = rng.below(3)
    if upload == 0:
        parts.append(("image/png", "avatar", ("profile photo.png", PNG_1x1)))
    elif upload == 1:
        csv = "date,item,amount\r\n2023-11-01,\"Coffee, large\",3.50\r\n2023-11-02,Lunch,12.90\r\n"
        parts.append(("text/csv", "statement", ("expenses (Nov).csv", csv.encode())))
    else:
        parts.append(("application/pdf", "resume",
                      ("CV_%s.pdf" % who[0].split()[0], b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")))
    parts.append((None, "comment", rng.pick(MESSAGES)))
    body = b""
    for ctype, name, value in parts:
        body += b"--" + boundary.encode() + b"\r\n"
        if ctype:
            filename, data = value
            body += ('Content-Disposition: form-data; name="%s"; filename="%s"\r\n'
                     "Content-Type: %s\r\n\r\n" % (name, filename, ctype)).encode() + data + b"\r\n"
        else:
            body += ('Content-Disposition: form-data; name="%s"\r\n\r\n' % name).encode() \
                + value.encode("utf-8") + b"\r\n"
    body += b"--" + boundary.encode() + b"--\r\n"
    return form_post(rng.pick(["/account/profile", "/careers/apply", "/expenses/upload"]),
                     body, n, "multipart/form-data; boundary=" + boundary)


def form(rng, n):
    who = rng.pick(PEOPLE)
    kind = rng.below(6)
    if kind == 0:
        return multipart(rng, n)
    token = rng.chars(40, ALNUM)
    if kind == 1:
        pairs = [("csrfmiddlewaretoken", token), ("username", who[1]),
                 ("password", rng.pick(["Tr0ub4dor&3", "P@ssw0rd!2023", "hunter2 hunter2",
                                        "Summer#2024?", "xK9$mq2*Lp", "l'amour-1990"])),
                 ("remember", "on"), ("next", "/account/orders?tab=recent")]
        target = "/login"
    elif kind == 2:
        pairs = [("_token", token), ("name", who[0]), ("email", who[1]),
                 ("subject", rng.pick(["Order question", "Return request", "Feedback: website",
                                       "Wholesale inquiry (500+ units)"])),
                 ("message", rng.pick(MESSAGES)), ("consent", "yes")]
        target = "/contact"
    elif kind == 3:
        pairs = [("first_name", who[0].split()[0]), ("last_name", who[0].split()[-1]),
                 ("address1", "%d Elm St." % rng.below(999)),
                 ("address2", "Apt #%d" % rng.below(99)),
                 ("city", rng.pick(["Springfield", "Portland", "München", "Zürich",
                                    "Saint-Étienne"])),
                 ("zip", rng.digits(5)), ("country", "US"), ("phone", "+1 (555) %s-%s" % (
                     rng.digits(3), rng.digits(4))), ("shipping_method", "express"),
                 ("gift_message", rng.pick(["Happy birthday! <3",
                                            "Merry Christmas & a happy new year",
                                            "For you - with love, J.", ""]))]
        target = "/checkout/address"
    elif kind == 4:
        pairs = [("comment", rng.pick(MESSAGES)), ("author", who[0]), ("email", who[1]),
                 ("url", "https://blog.example.net/%s" % slug(rng.pick(QUERIES))),
                 ("comment_post_ID", str(rng.below(5000))), ("comment_parent", "0")]
        target = "/wp-comments-post.php"
    else:
        pairs = [("q", rng.pick(QUERIES)), ("from", "2023-11-01"), ("to", "2023-11-30"),
                 ("category[]", "books"), ("category[]", "music"), ("in_stock", "1")]
        target = "/search/advanced"
    return form_post(target, form_encode(pairs), n)


def download(rng, n):
    path, size = FILES[n % len(FILES)]
    if rng.below(2):
        ua = rng.pick(["Wget/1.21.3", "curl/8.4.0", "Debian APT-HTTP/1.3 (2.6.1)",
                       "Microsoft BITS/7.8", "aria2/1.36.0"])
        h = [("Host", "downloads.example.com"), ("User-Agent", ua), ("Accept", "*/*")]
        if rng.below(2):
            start = rng.below(size // 2)
            h.append(("Range", "bytes=%d-%d" % (start, start + 1048575)))
        h.append(("Connection", "Keep-Alive"))
        target = path + rng.pick(["", "?token=%s&expires=1700086400" % rng.chars(32, ALNUM),
                                  "?download=1"])
        return http("GET", target, h)
    engine, ua = USER_AGENTS[n % len(USER_AGENTS)]
    h = browser_headers(rng, engine, ua, ACCEPT_DOC[engine], "document",
                        "https://%s/downloads" % HOST, cookies(rng, engine))
    if rng.below(3) == 0:
        h.append(("Range", "bytes=%d-" % rng.below(size)))
        h.append(("If-Range", '"%s"' % rng.chars(16)))
    return http("GET", path, h)


def tracking(rng, n):
    engine, ua = USER_AGENTS[n % len(USER_AGENTS)]
    product = rng.pick(PRODUCTS)
    page = "https://%s/products/%s" % (HOST, slug(product))
    kind = rng.below(4)
    if kind <= 1:  # a landing page reached from an ad or a newsletter
        params = [("utm_source", rng.pick(["google", "newsletter", "facebook", "bing", "tiktok"])),
                  ("utm_medium", rng.pick(["cpc", "email", "social", "display"])),
                  ("utm_campaign", rng.pick(["spring_sale_2024", "black-friday", "q4 retargeting",
                                             "welcome_series|step2"])),
                  ("utm_term", rng.pick(QUERIES)), ("utm_content", "banner_%dx%d" % (
                      rng.pick([300, 728, 160]), rng.pick([250, 90, 600])))]
        params.append(rng.pick([("gclid", "Cj0KCQiA" + rng.chars(60, B64URL) + "_BwE"),
                                ("fbclid", "IwAR" + rng.chars(58, B64URL)),
                                ("msclkid", rng.chars(32)), ("mc_eid", rng.chars(10))]))
        return browser_get("/products/%s?%s" % (slug(product), form_encode(params)), n)
    referer = page
    if kind == 2:  # an analytics beacon
        params = [("v", "2"), ("tid", "G-" + rng.chars(10, UPPER_ALNUM)), ("gtm", "45je3b10"),
                  ("_p", rng.digits(10)), ("cid", "%s.%s" % (rng.digits(10), "17" + rng.digits(8))),
                  ("ul", "en-us"), ("sr", rng.pick(["1920x1080", "390x844", "2560x1440"])),
                  ("_s", str(1 + rng.below(9))), ("sid", "17" + rng.digits(8)), ("sct", "4"),
                  ("seg", "1"), ("dl", page + "?color=blue"), ("dr", rng.pick(REFERRERS)),
                  ("dt", "%s | Example Shop" % product), ("en", "page_view"),
                  ("_et", str(rng.below(30000)))]
        target = "/g/collect?" + form_encode(params)
    else:  # an advertising pixel
        params = [("id", rng.digits(15)),
                  ("ev", rng.pick(["PageView", "ViewContent", "AddToCart"])),
                  ("dl", page), ("rl", rng.pick(REFERRERS)), ("if", "false"),
                  ("ts", "17" + rng.digits(11)), ("cd[content_ids]", '["%s"]' % rng.digits(5)),
                  ("cd[value]", "%d.%02d" % (rng.below(300), rng.below(100))),
                  ("cd[currency]", "EUR"),
                  ("sw", "1920"), ("sh", "1080"), ("v", "2.9.138"), ("r", "stable")]
        target = "/tr/?" + form_encode(params)
    return http("GET", target, browser_headers(rng, engine, ua, ACCEPT_IMG, "image", referer,
                                               cookies(rng, engine)))


def xml(rng, n):
    """An API client posting the n-th ordinary XML document."""
    content_type, body = xml_documents.DOCUMENTS[n - 1]
    body = body.encode("utf-8")
    h = api_headers(rng, False)
    h[-1:-1] = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    return http("POST", rng.pick(["/soap", "/api/v1/import", "/xmlrpc.php", "/upload"]), h, body)


KINDS = {"browse": browse, "search": search, "api": api, "form": form, "download": download,
         "tracking": tracking, "xml": xml}


def records():
    """Every benign request: {"id", "kind", "request"} in a fixed order."""
    for k, (kind, count) in enumerate(COUNTS.items()):
        rng = Lcg(0xB5E1_0000 + k)
        for n in range(1, count + 1):
            yield {"id": "benign-%s-%03d" % (kind, n), "kind": kind,
                   "request": KINDS[kind](rng, n)}
