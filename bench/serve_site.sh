# serve_site.sh - sourced by bench/serve.sh and bench/serve_ab.sh: the
# site both load, and wrk's script for the one-click POST.
#   serve_conf DATA_DIR MAIL_DIR - a kith.conf on stdout
#   serve_site KITH DIR N - with KITH_CONF set: a list of N members, one
#       post delivered to them, and DIR/paths.txt, one /u/TOKEN path per
#       member (from the List-Unsubscribe of their copy), shuffled
#   oneclick_lua FILE - wrk's Lua script: each request POSTs
#       List-Unsubscribe=One-Click to the next path of $PATHS, the
#       $THREADS threads taking turns

serve_conf() {
	cat <<EOF
[site]
domain = bench.example
data_dir = $1
transport = maildir:$2
deliver_on_receive = off
log_level = error
web_base_url = https://lists.bench.example/
[http]
listen = 127.0.0.1:0
threads = 2
max_connections = 1024
EOF
}

serve_site() {
	_k=$1
	_d=$2
	$_k init >/dev/null
	$_k list create team@bench.example --owner owner@bench.example --name "Bench" >/dev/null
	awk -v n="$3" 'BEGIN { for (i = 0; i < n; i++) printf "user%07d@example%02d.net\n", i, i % 97 }' >"$_d/members.txt"
	$_k member import team "$_d/members.txt" >/dev/null
	printf 'From: <owner@bench.example>\nTo: team@bench.example\nSubject: hello\nMessage-ID: <b1@bench.example>\n\nhello\n' |
		$_k receive -r team@bench.example -f owner@bench.example
	$_k deliver >/dev/null 2>&1
	find "$_d/mail" -type f -path '*/new/*' -exec grep -h -m1 '^List-Unsubscribe: <https' {} + |
		sed 's|.*<https://lists.bench.example\(/u/[^>]*\)>.*|\1|' | grep '^/u/' | shuf >"$_d/paths.txt"
	_have=$(wc -l <"$_d/paths.txt")
	[ "$_have" -ge "$3" ] || { echo "only $_have unsubscribe links for $3 members" >&2; exit 1; }
}

oneclick_lua() {
	cat >"$1" <<'EOF'
-- Each request POSTs List-Unsubscribe=One-Click to the next member's
-- own /u/TOKEN; the wrk threads take turns through the list.
local paths = {}
for line in io.lines(os.getenv("PATHS")) do paths[#paths + 1] = line end
local threads, counter = {}, 0
function setup(thread)
	counter = counter + 1
	thread:set("id", counter)
	thread:set("step", tonumber(os.getenv("THREADS")))
end
local i
function init(args)
	i = id
	wrk.method = "POST"
	wrk.body = "List-Unsubscribe=One-Click"
	wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end
function request()
	local p = paths[i]
	i = i + step
	if p == nil then p = paths[1] end
	return wrk.format(nil, p)
end
EOF
}
