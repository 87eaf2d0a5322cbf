#!/usr/bin/env bash
# nginx servers for the live tests: HTTP and HTTPS pools in a network namespace, each naming
# itself in its answers, with a self-signed certificate made on the spot. Everything lives in
# one directory (config, certificate, web roots, logs, pid); nothing of the system's nginx
# (its config, service or logs) is used. nginx runs as root (master and worker), so it can
# read a work directory only root may enter.
#
#   tools/nginx_pool.sh start NS DIR SERVER...   start nginx in namespace NS (returns once
#                                                every server listens, or fails)
#   tools/nginx_pool.sh stop DIR                 stop it (the namespace's deletion also does)
#
# SERVER is NAME@ADDRESS:PORT for HTTP or NAME@ADDRESS:PORT/tls for HTTPS. Each serves its
# own web root, where every path answers with the same content:
#   /, /index.html, /static/, /static/index.html   "NAME ADDRESS:PORT http|https\n"
#   /big.bin, /static/big.bin                      DIR/big.bin: 8 MiB of random bytes, the
#                                                  same file for all (its sha256 in
#                                                  DIR/big.bin.sha256)
# Access log: DIR/access.log, one line per request:
#   NAME ADDRESS:PORT scheme sni=SNI host=HOST "REQUEST" STATUS BYTES
# The certificate (DIR/cert.pem, key DIR/key.pem; EC P-256, one day) names site.com and
# *.site.com; clients use `curl -k` or --cacert DIR/cert.pem.
# Needs root, nginx (with the SSL module: Debian's nginx-light) and openssl.
set -euo pipefail

die() { echo "nginx_pool: $*" >&2; exit 1; }

start() {
  local ns=$1 dir=$2 spec name rest addr port scheme root listen conf i
  shift 2
  [ $# -gt 0 ] || die "no server given"
  command -v nginx >/dev/null || die "nginx is missing (tools/setup.sh installs nginx-light)"
  command -v openssl >/dev/null || die "openssl is missing (tools/setup.sh installs it)"
  dir=$(realpath -m "$dir")
  mkdir -p "$dir/tmp" "$dir/www"
  if [ ! -s "$dir/cert.pem" ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
      -subj "/CN=site.com" -addext "subjectAltName=DNS:site.com,DNS:*.site.com" \
      -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>"$dir/openssl.err" ||
      die "openssl could not make the certificate: $(cat "$dir/openssl.err")"
  fi
  if [ ! -s "$dir/big.bin" ]; then
    head -c $((8 << 20)) /dev/urandom >"$dir/big.bin"
    sha256sum "$dir/big.bin" | cut -d' ' -f1 >"$dir/big.bin.sha256"
  fi
  conf="$dir/nginx.conf"
  cat >"$conf" <<EOF
user root root;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
  default_type application/octet-stream;
  types { text/plain html; }
  log_format pool '\$pool \$server_addr:\$server_port \$scheme sni=\$ssl_server_name host=\$host "\$request" \$status \$body_bytes_sent';
  access_log $dir/access.log pool;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  keepalive_requests 1000000;
  ssl_certificate $dir/cert.pem;
  ssl_certificate_key $dir/key.pem;
EOF
  for spec in "$@"; do
    [[ $spec =~ ^([A-Za-z0-9_.-]+)@([0-9.]+):([0-9]+)(/tls)?$ ]] || die "bad server '$spec' (NAME@ADDRESS:PORT[/tls])"
    name=${BASH_REMATCH[1]} addr=${BASH_REMATCH[2]} port=${BASH_REMATCH[3]}
    scheme=http listen="$addr:$port"
    [ -n "${BASH_REMATCH[4]}" ] && scheme=https listen="$addr:$port ssl"
    root="$dir/www/$name-$addr-$port"
    mkdir -p "$root/static"
    echo "$name $addr:$port $scheme" >"$root/index.html"
    cp "$root/index.html" "$root/static/index.html"
    ln -sf "$dir/big.bin" "$root/big.bin"
    ln -sf "$dir/big.bin" "$root/static/big.bin"
    cat >>"$conf" <<EOF
  server {
    listen $listen;
    set \$pool $name;
    root $root;
  }
EOF
  done
  echo "}" >>"$conf"
  # nginx binds every listener before it daemonises: a zero exit means they all listen.
  ip netns exec "$ns" nginx -q -p "$dir" -e "$dir/error.log" -c "$conf" ||
    die "nginx did not start in $ns: $(tail -n 5 "$dir/error.log" 2>/dev/null)"
  for i in $(seq 50); do [ -s "$dir/nginx.pid" ] && return 0; sleep 0.1; done
  die "nginx wrote no pid file"
}

stop() {
  local dir=$1 pid i
  [ -s "$dir/nginx.pid" ] || return 0
  pid=$(cat "$dir/nginx.pid")
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

case "${1:-}" in
  start) shift; [ $# -ge 3 ] || die "usage: nginx_pool.sh start NS DIR SERVER..."; start "$@" ;;
  stop) shift; [ $# -eq 1 ] || die "usage: nginx_pool.sh stop DIR"; stop "$1" ;;
  *) die "usage: nginx_pool.sh start NS DIR SERVER... | stop DIR" ;;
esac
