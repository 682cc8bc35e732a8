// Package signingtest provides throwaway certificates, keys and an RFC 3161
// timestamp server for tests of package signing. Nothing here is fit for
// production: keys live in memory and are generated per test run.
package signingtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/signing"
)

// Vietnamese names with ĩ/Ĩ, the letters whose UTF-16 encoding holds a
// parenthesis byte.
const (
	PersonName  = "Nguyễn Văn Lĩnh"
	PersonOrg   = "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh"
	OrgName     = "Trường Tiểu học Ĩnh"
	OrgOrg      = "Trường Tiểu học Ĩnh, Quận Bình Thạnh"
	serialBytes = 16
)

var oidDocumentSigning = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36}

// PKI is a root CA, an intermediate CA and two signing keys: a person's and
// an organisation's. Roots holds the root and the test TSA's root.
type PKI struct {
	Roots        *x509.CertPool
	Root         *x509.Certificate
	Intermediate *x509.Certificate
	Person       signing.Key
	Org          signing.Key

	interKey crypto.Signer
}

// NewPKI generates a fresh PKI. The leaf keys are RSA-2048, like the
// certificates Vietnamese CAs issue; the CA keys are ECDSA P-256.
func NewPKI(t testing.TB) *PKI {
	t.Helper()
	now := time.Now()
	rootKey := newECKey(t)
	root := createCert(t, &x509.Certificate{
		Subject:               pkix.Name{CommonName: "Vanban Test Root CA", Organization: []string{"Vanban tests"}, Country: []string{"VN"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}, nil, rootKey.Public(), rootKey)
	interKey := newECKey(t)
	inter := createCert(t, &x509.Certificate{
		Subject:               pkix.Name{CommonName: "Vanban Test Issuing CA", Organization: []string{"Vanban tests"}, Country: []string{"VN"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(5 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
	}, root, interKey.Public(), rootKey)

	p := &PKI{Roots: x509.NewCertPool(), Root: root, Intermediate: inter, interKey: interKey}
	p.Roots.AddCert(root)
	p.Roots.AddCert(TSARoot(t))
	p.Person = p.NewKey(t, PersonName, PersonOrg, now.Add(-time.Hour), now.Add(365*24*time.Hour))
	p.Org = p.NewKey(t, OrgName, OrgOrg, now.Add(-time.Hour), now.Add(365*24*time.Hour))
	return p
}

// NewKey issues an RSA-2048 signing certificate from the intermediate CA
// with the given validity; the chain is leaf then intermediate.
func (p *PKI) NewKey(t testing.TB, cn, org string, notBefore, notAfter time.Time) signing.Key {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	leaf := createCert(t, &x509.Certificate{
		Subject:            pkix.Name{CommonName: cn, Organization: []string{org}, Country: []string{"VN"}},
		NotBefore:          notBefore,
		NotAfter:           notAfter,
		KeyUsage:           x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage:        []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{oidDocumentSigning},
	}, p.Intermediate, k.Public(), p.interKey)
	return signing.Key{Signer: k, Chain: []*x509.Certificate{leaf, p.Intermediate}}
}

// Issue issues a signing certificate for a key held elsewhere (a token, a
// remote-signing service) from the intermediate CA; the chain is leaf then
// intermediate.
func (p *PKI) Issue(t testing.TB, cn string, pub crypto.PublicKey) []*x509.Certificate {
	t.Helper()
	now := time.Now()
	leaf := createCert(t, &x509.Certificate{
		Subject:            pkix.Name{CommonName: cn, Organization: []string{PersonOrg}, Country: []string{"VN"}},
		NotBefore:          now.Add(-time.Hour),
		NotAfter:           now.AddDate(1, 0, 0),
		KeyUsage:           x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage:        []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{oidDocumentSigning},
	}, p.Intermediate, pub, p.interKey)
	return []*x509.Certificate{leaf, p.Intermediate}
}

// RootPEM returns the PKI's trust anchors (its root and the TSA root) as PEM.
func (p *PKI) RootPEM() []byte {
	var out []byte
	for _, c := range []*x509.Certificate{p.Root, tsaCA.root} {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

func newECKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func createCert(t testing.TB, tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) *x509.Certificate {
	t.Helper()
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 8*serialBytes-1))
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber = serial
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// tsaCA is shared by every test TSA of the process, so that a PKI's Roots
// trusts any of them.
var tsaCA struct {
	once sync.Once
	root *x509.Certificate
	cert *x509.Certificate
	key  crypto.Signer
	err  error
}

// TSARoot returns the root certificate of the test timestamp authorities.
func TSARoot(t testing.TB) *x509.Certificate {
	t.Helper()
	loadTSACA(t)
	return tsaCA.root
}

func loadTSACA(t testing.TB) {
	t.Helper()
	tsaCA.once.Do(func() {
		now := time.Now()
		rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			tsaCA.err = err
			return
		}
		rootTmpl := &x509.Certificate{
			SerialNumber:          big.NewInt(1),
			Subject:               pkix.Name{CommonName: "Vanban Test TSA Root", Organization: []string{"Vanban tests"}},
			NotBefore:             now.Add(-time.Hour),
			NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
			KeyUsage:              x509.KeyUsageCertSign,
			BasicConstraintsValid: true,
			IsCA:                  true,
		}
		der, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, rootKey.Public(), rootKey)
		if err != nil {
			tsaCA.err = err
			return
		}
		root, _ := x509.ParseCertificate(der)
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			tsaCA.err = err
			return
		}
		// RFC 3161 2.3: the one EKU, timeStamping, in a critical extension.
		eku, _ := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
		der, err = x509.CreateCertificate(rand.Reader, &x509.Certificate{
			SerialNumber:    big.NewInt(2),
			Subject:         pkix.Name{CommonName: "Vanban Test TSA", Organization: []string{"Vanban tests"}},
			NotBefore:       now.Add(-time.Hour),
			NotAfter:        now.Add(5 * 365 * 24 * time.Hour),
			KeyUsage:        x509.KeyUsageDigitalSignature,
			ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: eku}},
		}, root, key.Public(), rootKey)
		if err != nil {
			tsaCA.err = err
			return
		}
		tsaCA.cert, tsaCA.err = x509.ParseCertificate(der)
		tsaCA.root, tsaCA.key = root, key
	})
	if tsaCA.err != nil {
		t.Fatalf("signingtest: TSA certificate: %v", tsaCA.err)
	}
}
