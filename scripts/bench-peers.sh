#!/usr/bin/env bash
# Peer rows of the signing table (issue 17): iText 5 (Java, Debian's
# libitext5-java) and @signpdf 3 (Node, from npm) sign the same 1 MiB and
# 20 MiB PDFs with the same RSA-2048 key and appearance PNG as
# `go test -bench 'Sign$' ./signing/`, one core each (taskset when there is
# one), after a warm-up, and print signatures/s median and p10-p90. A tool
# that is not installed is said so and skipped:
#
#   apt-get install libitext5-java libbcpkix-java   # iText 5 + Bouncy Castle
#   npm (network) installs @signpdf into $VANBAN_PEERS_DIR on first run
#
# Usage: scripts/bench-peers.sh [rounds]   (default 20 measured signatures)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
warm=5
work=${VANBAN_PEERS_DIR:-${TMPDIR:-/tmp}/vanban-peers}
mkdir -p "$work"
one=()
if command -v taskset >/dev/null; then one=(taskset -c 0); fi

echo "+ writing the benchmark files into $work"
VANBAN_BENCH_OUT="$work" go test -run '^TestWriteBenchFiles$' -count=1 ./signing/ >/dev/null
read -r appw apph <"$work/appearance.size"

echo
echo "| tool | size | variant | sig/s median | p10-p90 |"
echo "|---|---|---|---|---|"

# iText 5
cp=/usr/share/java/itext5.jar:/usr/share/java/bcprov.jar:/usr/share/java/bcpkix.jar:/usr/share/java/bcutil.jar
if command -v javac >/dev/null && [[ -f /usr/share/java/itext5.jar && -f /usr/share/java/bcpkix.jar ]]; then
	mkdir -p "$work/java"
	cat >"$work/java/ITextSign.java" <<'EOF'
import com.itextpdf.text.Image;
import com.itextpdf.text.Rectangle;
import com.itextpdf.text.pdf.PdfReader;
import com.itextpdf.text.pdf.PdfSignatureAppearance;
import com.itextpdf.text.pdf.PdfStamper;
import com.itextpdf.text.pdf.security.BouncyCastleDigest;
import com.itextpdf.text.pdf.security.DigestAlgorithms;
import com.itextpdf.text.pdf.security.MakeSignature;
import com.itextpdf.text.pdf.security.PrivateKeySignature;
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Security;
import java.security.cert.Certificate;
import java.util.Arrays;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

// args: pdf p12 png width height warm n visible|invisible
public class ITextSign {
  public static void main(String[] a) throws Exception {
    BouncyCastleProvider bc = new BouncyCastleProvider();
    Security.addProvider(bc);
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(new FileInputStream(a[1]), "bench".toCharArray());
    String alias = ks.aliases().nextElement();
    PrivateKey pk = (PrivateKey) ks.getKey(alias, "bench".toCharArray());
    Certificate[] chain = ks.getCertificateChain(alias);
    byte[] in = Files.readAllBytes(Paths.get(a[0]));
    float w = Float.parseFloat(a[3]), h = Float.parseFloat(a[4]);
    int warm = Integer.parseInt(a[5]), n = Integer.parseInt(a[6]);
    boolean visible = a[7].equals("visible");
    double[] rates = new double[n];
    for (int i = 0; i < warm + n; i++) {
      long start = System.nanoTime();
      PdfReader r = new PdfReader(in);
      ByteArrayOutputStream out = new ByteArrayOutputStream(in.length + (64 << 10));
      PdfStamper st = PdfStamper.createSignature(r, out, '\0', null, true);
      PdfSignatureAppearance ap = st.getSignatureAppearance();
      ap.setReason("Phê duyệt");
      ap.setLocation("Thành phố Hồ Chí Minh");
      if (visible) {
        ap.setSignatureGraphic(Image.getInstance(a[2]));
        ap.setRenderingMode(PdfSignatureAppearance.RenderingMode.GRAPHIC);
        ap.setVisibleSignature(new Rectangle(330, 120, 330 + w, 120 + h), r.getNumberOfPages(), null);
      }
      MakeSignature.signDetached(ap, new BouncyCastleDigest(),
          new PrivateKeySignature(pk, DigestAlgorithms.SHA256, bc.getName()),
          chain, null, null, null, 0, MakeSignature.CryptoStandard.CADES);
      double s = (System.nanoTime() - start) / 1e9;
      if (i >= warm) rates[i - warm] = 1 / s;
    }
    Arrays.sort(rates);
    System.out.printf("%.1f | %.1f-%.1f%n", rates[n / 2], rates[n / 10], rates[n - 1 - n / 10]);
  }
}
EOF
	javac -nowarn -cp "$cp" -d "$work/java" "$work/java/ITextSign.java" 2>/dev/null
	for size in 1MiB 20MiB; do
		for v in visible invisible; do
			row=$("${one[@]}" java -cp "$cp:$work/java" ITextSign "$work/$size.pdf" "$work/key.p12" "$work/appearance.png" "$appw" "$apph" $warm "$n" $v)
			echo "| iText 5.5.13 | $size | $v | $row |"
		done
	done
else
	echo "| iText 5 | - | - | not installed (apt-get install libitext5-java libbcpkix-java): skipped | |"
fi

# @signpdf (invisible: it adds no appearance)
if command -v npm >/dev/null && command -v node >/dev/null; then
	node_dir="$work/node"
	if [[ ! -d "$node_dir/node_modules/@signpdf/signpdf" ]]; then
		mkdir -p "$node_dir"
		(cd "$node_dir" && npm install --silent --no-audit --no-fund @signpdf/signpdf@3 @signpdf/signer-p12@3 @signpdf/placeholder-plain@3 >/dev/null 2>&1) || true
	fi
fi
if [[ -d "${node_dir:-/nonexistent}/node_modules/@signpdf/signpdf" ]]; then
	# node-forge reads neither the EC-signed test certificates nor AES
	# PKCS#12: the same RSA key, self-signed, in a 3DES PKCS#12
	openssl pkcs12 -in "$work/key.p12" -nocerts -nodes -passin pass:bench -out "$node_dir/key.pem" 2>/dev/null
	openssl req -x509 -key "$node_dir/key.pem" -subj "/CN=Nguyen Van An" -days 2 -out "$node_dir/cert.pem" 2>/dev/null
	openssl pkcs12 -export -inkey "$node_dir/key.pem" -in "$node_dir/cert.pem" -passout pass:bench \
		-certpbe PBE-SHA1-3DES -keypbe PBE-SHA1-3DES -macalg sha1 -out "$node_dir/key.p12"
	cat >"$node_dir/sign.js" <<'EOF'
// args: pdf p12 warm n
const fs = require('fs');
const { SignPdf } = require('@signpdf/signpdf');
const { P12Signer } = require('@signpdf/signer-p12');
const { plainAddPlaceholder } = require('@signpdf/placeholder-plain');
(async () => {
  const [pdf, p12, warm, n] = [fs.readFileSync(process.argv[2]), fs.readFileSync(process.argv[3]), +process.argv[4], +process.argv[5]];
  const rates = [];
  for (let i = 0; i < warm + n; i++) {
    const start = process.hrtime.bigint();
    const signer = new P12Signer(p12, { passphrase: 'bench' }); // it reads its key once
    const withPlaceholder = plainAddPlaceholder({ pdfBuffer: pdf, reason: 'Phê duyệt', location: 'Thành phố Hồ Chí Minh', contactInfo: '', name: 'Nguyễn Văn An', signatureLength: 16384 });
    await new SignPdf().sign(withPlaceholder, signer);
    const s = Number(process.hrtime.bigint() - start) / 1e9;
    if (i >= warm) rates.push(1 / s);
  }
  rates.sort((a, b) => a - b);
  console.log(`${rates[n >> 1].toFixed(1)} | ${rates[Math.floor(n / 10)].toFixed(1)}-${rates[n - 1 - Math.floor(n / 10)].toFixed(1)}`);
})().catch((e) => { console.error(e); process.exit(1); });
EOF
	for size in 1MiB 20MiB; do
		row=$(cd "$node_dir" && "${one[@]}" node sign.js "$work/$size.pdf" "$node_dir/key.p12" $warm "$n")
		echo "| @signpdf 3 (Node) | $size | invisible | $row |"
	done
else
	echo "| @signpdf 3 | - | - | npm install failed or node missing: skipped | |"
fi

echo
echo "vanban and pdfsign on the same files, one core (go test -bench 'Sign\$' -cpu 1):"
"${one[@]}" go test -run '^$' -bench 'Sign$' -benchtime "${n}x" -cpu 1 ./signing/ | sed -n '/signing bench summary/,$p'
