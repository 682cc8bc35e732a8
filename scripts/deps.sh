#!/usr/bin/env bash
# Installs from Debian what the build and the tests need, when missing:
# chromium, poppler-utils (pdfsig, pdftoppm), mupdf-tools (mutool), qpdf,
# tesseract-ocr with tesseract-ocr-vie (OCR of scanned documents, with pdftotext
# and pdftoppm: the text inside documents, for search),
# softhsm2 (softhsm2-util), haproxy (the multi-instance tests), fonts-liberation, curl,
# LibreOffice (libreoffice-writer-nogui, python3-uno: the converter's workers) with
# fonts-liberation2 (Liberation Serif 2: Times New Roman's metrics with Vietnamese
# glyphs; version 1 lacks them); and PostgreSQL (server +
# contrib for unaccent), gcc (cgo, -race) and make when absent.
# As root it runs `apt-get update` once and installs; otherwise it prints
# what to install and exits 1.
set -euo pipefail

missing=()
need_cmd() { # need_cmd COMMAND PACKAGE...
	local c=$1
	shift
	command -v "$c" >/dev/null 2>&1 || missing+=("$@")
}
need_file() { # need_file PATH PACKAGE...
	local f=$1
	shift
	[[ -e $f ]] || missing+=("$@")
}
need_pkg() { # need_pkg PACKAGE
	[[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]] || missing+=("$1")
}

have_pg_server() {
	local d
	for d in /usr/lib/postgresql/*/bin; do
		[[ -x $d/initdb && -x $d/pg_ctl ]] && return 0
	done
	command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1
}
have_unaccent() {
	compgen -G '/usr/share/postgresql/*/extension/unaccent.control' >/dev/null
}

# `deps.sh run`: only what serving needs (make run): the PostgreSQL server
# and the Word converter. Without root it only warns, and the service runs
# without Word conversion.
run_only=false
[[ ${1:-} == run ]] && run_only=true

need_cmd soffice libreoffice-writer-nogui
need_pkg libreoffice-writer-nogui
need_pkg python3-uno
need_pkg fonts-liberation2
need_cmd pdftotext poppler-utils
need_cmd tesseract tesseract-ocr
compgen -G '/usr/share/tesseract-ocr/*/tessdata/vie.traineddata' >/dev/null || missing+=(tesseract-ocr-vie)
if ! have_pg_server || ! have_unaccent; then missing+=(postgresql postgresql-contrib); fi
if ! $run_only; then
	need_file /usr/bin/chromium chromium
	need_cmd pdfsig poppler-utils
	need_cmd pdftoppm poppler-utils
	need_cmd mutool mupdf-tools
	need_cmd qpdf qpdf
	need_cmd softhsm2-util softhsm2
	need_cmd pkcs11-tool opensc
	need_cmd openssl openssl
	need_cmd certutil libnss3-tools
	need_cmd xmlsec1 xmlsec1
	need_cmd xmllint libxml2-utils
	need_cmd haproxy haproxy
	need_pkg fonts-liberation
	need_cmd curl curl
	need_cmd gcc gcc libc6-dev
	need_cmd make make
	need_cmd psql postgresql-client
fi

if ((${#missing[@]} == 0)); then
	echo "deps: all present"
	exit 0
fi

# De-duplicate, keeping order.
declare -A seen=()
pkgs=()
for p in "${missing[@]}"; do
	[[ -n ${seen[$p]:-} ]] && continue
	seen[$p]=1
	pkgs+=("$p")
done

if ((EUID != 0)); then
	echo "deps: missing Debian packages: ${pkgs[*]}" >&2
	if $run_only; then
		echo "deps: serving without them: Word drafts are refused with 503 and kept until LibreOffice is installed; without poppler-utils and tesseract-ocr-vie the text inside documents is not read (marked failed)" >&2
		exit 0
	fi
	echo "deps: install them with:  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${pkgs[*]}" >&2
	exit 1
fi

echo "deps: installing ${pkgs[*]}"
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt/dpkg run to finish instead of failing on its lock.
apt_opts=(-o DPkg::Lock::Timeout=900 -o Acquire::Retries=3)
apt-get "${apt_opts[@]}" update -qq
apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${pkgs[@]}" </dev/null
echo "deps: installed ${pkgs[*]}"
