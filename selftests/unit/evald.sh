#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lib.sh's evald (selftests/lib/evald.py), the one Python of a test that
# evaluates its pm_eval, truth_eval and json_eval expressions: the values
# it prints are Python's for the JSON given, a failure is a failure with
# its traceback on standard error, a NUL in a value does not put later
# answers out of step, a test's "wait" does not wait for it, its calls
# still answer once it is gone, and it ends with the shell that started
# it, leaving no directory behind.
. "$FLOWOS_REPO/selftests/lib.sh"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
DOC=$TMP/doc.json
cat >"$DOC" <<'EOF'
{"pms": [{"name": "c", "results": {"packets": 7, "rows": [{"n": 1}, {"n": 2}]}}],
 "nul": "a\u0000b", "text": "two\nlines"}
EOF

# answers_as_python DESCRIPTION: every kind of request gets the value
# print() gives for these literal documents.
answers_as_python() {
	expect_eq "$1: truth_eval" \
		"$(truth_eval '[x["n"] * 10 for x in t["pms"][0]["results"]["rows"]]' "$DOC")" \
		"[10, 20]"
	expect_eq "$1: json_eval over standard input" \
		"$(json_eval 'd["pms"][0]["results"]["packets"]' <"$DOC")" 7
	expect_eq "$1: two lines come back as two lines" \
		"$(truth_eval 't["text"]' "$DOC" | wc -l)" 2
}

# failure_reported DESCRIPTION: a failing expression: status 1, nothing on
# standard output, Python's error on standard error.
failure_reported() {
	local out err rc

	out=$(truth_eval 't["no such key"]' "$DOC" 2>"$TMP/err")
	rc=$?
	err=$(tail -n 1 "$TMP/err")
	expect_eq "$1: a failing expression fails, saying why" \
		"$rc|$out|$err" "1||KeyError: 'no such key'"
}

ktap_print_header
ktap_set_plan 15

answers_as_python "no evald"
failure_reported "no evald"

evald_start
ktest "evald_start starts evald" evald_running
answers_as_python "evald"
failure_reported "evald"
expect_eq "a NUL in a value comes back as \\0" "$(truth_eval 't["nul"]' "$DOC")" 'a\0b'
expect_eq "and the next answer is the next request's" \
	"$(truth_eval 'len(t["nul"])' "$DOC")" 3
sleep 0.1 &
wait
ktest "a bare wait does not wait for evald" evald_running

kill "$EVALD_PID"
slowwait 10 none_running "$EVALD_PID"
expect_eq "evald gone: calls still answer" \
	"$(truth_eval 't["pms"][0]["name"]' "$DOC")" c

read -r pid dir < <(bash -c '. "$FLOWOS_REPO/selftests/lib.sh"; evald_start &&
	echo "$EVALD_PID ${EVALD_JSON%/*}"')
ktest "a shell that ends takes its evald with it" \
	slowwait 10 none_running "$pid"
ktest "and evald removed its FIFOs" slowwait 10 test ! -e "$dir"
ktap_finished
