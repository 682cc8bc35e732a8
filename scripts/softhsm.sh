#!/usr/bin/env bash
# A private SoftHSM2 token, to sign through PKCS#11 in development as
# production signs with a USB token or an HSM.
#
#   scripts/softhsm.sh init                  create the token (once; kept afterwards)
#   scripts/softhsm.sh import FILE.pem LABEL import a key and its certificate chain
#                                            (one PEM file, e.g. a dev PKI person's)
#   scripts/softhsm.sh list                  show the objects on the token
#   scripts/softhsm.sh env                   print vanban's settings for the token, for eval:
#       SOFTHSM2_CONF, PKCS11_MODULE, PKCS11_TOKEN_LABEL, PKCS11_PIN
#   scripts/softhsm.sh delete                remove the token directory
#
# Environment:
#   VANBAN_SOFTHSM_DIR    home (default: <repo>/var/softhsm): softhsm2.conf, tokens/, pin, so-pin
#   VANBAN_SOFTHSM_TOKEN  token label (default vanban-dev)
#   VANBAN_SOFTHSM_PIN, VANBAN_SOFTHSM_SO_PIN
#                         user and security-officer PINs; by default random ones
#                         are made at init and kept in pin and so-pin (mode 600)
#
# The key is imported under LABEL (vanban looks keys up by username or unit
# code) with a fresh CKA_ID, the leaf certificate under LABEL too and the
# next certificate of the chain under LABEL-ca: what signing.LoadPKCS11
# looks for. For example, with the development PKI:
#   scripts/softhsm.sh import var/data/keys/people/giamdoc.sgd.pem giamdoc.sgd Needs softhsm2-util (softhsm2),
# pkcs11-tool (opensc) and openssl; scripts/deps.sh installs them.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
HOME_DIR=${VANBAN_SOFTHSM_DIR:-$ROOT/var/softhsm}
TOKEN=${VANBAN_SOFTHSM_TOKEN:-vanban-dev}

die() { echo "softhsm.sh: $*" >&2; exit 1; }
note() { echo "softhsm.sh: $*" >&2; }

find_module() {
	local m
	for m in "${PKCS11_MODULE:-}" /usr/lib/softhsm/libsofthsm2.so \
		/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so \
		/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so \
		/usr/local/lib/softhsm/libsofthsm2.so; do
		[[ -n $m && -f $m ]] && { echo "$m"; return; }
	done
	return 1
}

mkdir -p "$HOME_DIR"
chmod 700 "$HOME_DIR"
HOME_DIR=$(cd "$HOME_DIR" && pwd -P)
CONF=$HOME_DIR/softhsm2.conf
export SOFTHSM2_CONF=$CONF

write_conf() {
	mkdir -p "$HOME_DIR/tokens"
	chmod 700 "$HOME_DIR/tokens"
	cat >"$CONF" <<EOF
directories.tokendir = $HOME_DIR/tokens
objectstore.backend = file
log.level = ERROR
EOF
}

# secret NAME VAR: the PIN from the environment, else from the file, else a new random one.
secret() {
	local file=$HOME_DIR/$1 val=${!2:-}
	if [[ -n $val ]]; then echo "$val"; return; fi
	if [[ ! -s $file ]]; then
		(umask 077; od -An -tx1 -N8 /dev/urandom | tr -d ' \n' >"$file")
	fi
	tr -d '\n' <"$file"
}

token_exists() {
	softhsm2-util --show-slots 2>/dev/null | awk -v t="$TOKEN" '
		$1 == "Label:" { sub(/^[ \t]*Label:[ \t]+/, ""); sub(/[ \t]+$/, ""); if ($0 == t) found = 1 }
		END { exit !found }'
}

need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found; run scripts/deps.sh (apt-get install $2)"; }

cmd_init() {
	need softhsm2-util softhsm2
	find_module >/dev/null || die "libsofthsm2.so not found; run scripts/deps.sh (apt-get install softhsm2)"
	write_conf
	if token_exists; then
		note "token '$TOKEN' exists in $HOME_DIR/tokens"
		return
	fi
	local pin sopin
	pin=$(secret pin VANBAN_SOFTHSM_PIN)
	sopin=$(secret so-pin VANBAN_SOFTHSM_SO_PIN)
	softhsm2-util --init-token --free --label "$TOKEN" --pin "$pin" --so-pin "$sopin" >/dev/null
	note "token '$TOKEN' created in $HOME_DIR/tokens"
}

cmd_import() {
	(($# == 2)) || die "usage: softhsm.sh import FILE.pem LABEL"
	local file=$1 label=$2
	[[ -r $file ]] || die "cannot read $file"
	[[ $label =~ ^[A-Za-z0-9._-]+$ ]] || die "label must be letters, digits, '.', '_' or '-'"
	need softhsm2-util softhsm2
	need pkcs11-tool opensc
	need openssl openssl
	local module
	module=$(find_module) || die "libsofthsm2.so not found"
	token_exists || cmd_init
	local pin
	pin=$(secret pin VANBAN_SOFTHSM_PIN)

	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	chmod 700 "$tmp"
	# The key as PKCS#8 PEM, the certificates one DER file each, in file order.
	openssl pkey -in "$file" -out "$tmp/key.pem" 2>/dev/null || die "no unencrypted private key in $file"
	awk -v dir="$tmp" '
		/-----BEGIN CERTIFICATE-----/ { n++; f = sprintf("%s/cert%d.pem", dir, n) }
		f { print > f }
		/-----END CERTIFICATE-----/ { close(f); f = "" }
	' "$file"
	[[ -s $tmp/cert1.pem ]] || die "no certificate in $file"
	# The leaf is the certificate of the key.
	local keypub leaf="" ca="" c
	keypub=$(openssl pkey -in "$tmp/key.pem" -pubout)
	for c in "$tmp"/cert*.pem; do
		if [[ $(openssl x509 -in "$c" -noout -pubkey) == "$keypub" ]]; then leaf=$c; else ca=${ca:-$c}; fi
	done
	[[ -n $leaf ]] || die "no certificate in $file matches its key"

	local id
	id=$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')
	softhsm2-util --import "$tmp/key.pem" --token "$TOKEN" --label "$label" --id "$id" --pin "$pin" >/dev/null
	openssl x509 -in "$leaf" -outform DER -out "$tmp/leaf.der"
	pkcs11-tool --module "$module" --token-label "$TOKEN" --login --pin "$pin" \
		--write-object "$tmp/leaf.der" --type cert --id "$id" --label "$label" >/dev/null
	if [[ -n $ca ]]; then
		openssl x509 -in "$ca" -outform DER -out "$tmp/ca.der"
		pkcs11-tool --module "$module" --token-label "$TOKEN" --login --pin "$pin" \
			--write-object "$tmp/ca.der" --type cert --id "${id}ca" --label "$label-ca" >/dev/null
	fi
	note "imported '$label' from $file into token '$TOKEN'"
}

cmd_list() {
	need pkcs11-tool opensc
	local module
	module=$(find_module) || die "libsofthsm2.so not found"
	pkcs11-tool --module "$module" --token-label "$TOKEN" --login --pin "$(secret pin VANBAN_SOFTHSM_PIN)" --list-objects
}

cmd_env() {
	local module
	module=$(find_module) || die "libsofthsm2.so not found"
	printf 'export SOFTHSM2_CONF=%q\n' "$CONF"
	printf 'export PKCS11_MODULE=%q\n' "$module"
	printf 'export PKCS11_TOKEN_LABEL=%q\n' "$TOKEN"
	printf 'export PKCS11_PIN=%q\n' "$(secret pin VANBAN_SOFTHSM_PIN)"
}

cmd_delete() {
	rm -rf "$HOME_DIR"
	note "removed $HOME_DIR"
}

case ${1:-} in
init) cmd_init ;;
import) shift; cmd_import "$@" ;;
list) cmd_list ;;
env) cmd_env ;;
delete) cmd_delete ;;
*) die "usage: softhsm.sh init | import FILE.pem LABEL | list | env | delete" ;;
esac
