package signing

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"
)

// DevOU marks every development certificate's subject.
const DevOU = "DEVELOPMENT — NOT FOR PRODUCTION"

const devRootCN = "vanban DEVELOPMENT root — NOT FOR PRODUCTION"

var (
	// OIDDocumentSigningMicrosoft is Microsoft's document-signing extended key usage.
	OIDDocumentSigningMicrosoft = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 10, 3, 12}
	// OIDDocumentSigning is id-kp-documentSigning from RFC 9336.
	OIDDocumentSigning = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36}

	oidTitle = asn1.ObjectIdentifier{2, 5, 4, 12}
	// Usernames and unit codes become file names. Compiled on first use,
	// not at every start of the binary.
	devFileName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`) })
)

// DevOrg is the organisation a development PKI certifies.
type DevOrg struct {
	Code string // identifier code, e.g. "000.00.24.H29"
	Name string // e.g. "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh"
}

// DevPerson is a signer the development PKI certifies.
type DevPerson struct {
	Username string // the file name, e.g. "giamdoc.sgd"
	FullName string // e.g. "Lê Hoài Nam"
	Title    string // e.g. "Giám đốc"
	Unit     string // the person's unit, optional
}

// DevRootPath is the development root certificate's file in dir.
func DevRootPath(dir string) string { return filepath.Join(dir, "root.pem") }

// DevPersonPath is a person's key file (chain and key, PEM) in dir.
func DevPersonPath(dir, username string) string {
	return filepath.Join(dir, "people", username+".pem")
}

// DevOrgPath is an organisation's key file (chain and key, PEM) in dir.
func DevOrgPath(dir, code string) string { return filepath.Join(dir, "orgs", code+".pem") }

func devRootKeyPath(dir string) string { return filepath.Join(dir, "root-key.pem") }

// GenerateDevPKI writes a development root CA, a certificate for the
// organisation and one per person into dir, RSA-2048 with document-signing
// key usages. Files that exist are kept, unless the root had to be made
// anew, which makes the old ones useless. Never use these in production.
func GenerateDevPKI(dir string, org DevOrg, people []DevPerson) error {
	if !devFileName().MatchString(org.Code) || org.Name == "" {
		return fmt.Errorf("signing: unable to generate dev PKI: bad organisation code %q or empty name", org.Code)
	}
	for _, p := range people {
		if !devFileName().MatchString(p.Username) || p.FullName == "" {
			return fmt.Errorf("signing: unable to generate dev PKI: bad username %q or empty name", p.Username)
		}
	}
	for _, d := range []string{dir, filepath.Join(dir, "people"), filepath.Join(dir, "orgs")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("signing: unable to generate dev PKI: %v", err)
		}
	}
	root, rootKey, fresh, err := devRoot(dir)
	if err != nil {
		return err
	}
	now := time.Now()
	leaves := []struct {
		path    string
		subject pkix.Name
	}{{DevOrgPath(dir, org.Code), pkix.Name{
		CommonName:         org.Name,
		Organization:       []string{org.Name},
		OrganizationalUnit: []string{DevOU},
		Country:            []string{"VN"},
	}}}
	for _, p := range people {
		ou := []string{DevOU}
		if p.Unit != "" {
			ou = append(ou, p.Unit)
		}
		name := pkix.Name{
			CommonName:         p.FullName,
			Organization:       []string{org.Name},
			OrganizationalUnit: ou,
			Country:            []string{"VN"},
		}
		if p.Title != "" {
			name.ExtraNames = []pkix.AttributeTypeAndValue{{Type: oidTitle, Value: p.Title}}
		}
		leaves = append(leaves, struct {
			path    string
			subject pkix.Name
		}{DevPersonPath(dir, p.Username), name})
	}
	for _, l := range leaves {
		if !fresh {
			if _, err := os.Stat(l.path); err == nil {
				continue
			}
		}
		if err := writeDevLeaf(l.path, l.subject, root, rootKey, now); err != nil {
			return err
		}
	}
	return nil
}

// LoadDevRoots returns a pool holding the development root in dir.
func LoadDevRoots(dir string) (*x509.CertPool, error) {
	b, err := os.ReadFile(DevRootPath(dir))
	if err != nil {
		return nil, fmt.Errorf("signing: unable to read dev root: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("signing: unable to read dev root: no certificate in %s", DevRootPath(dir))
	}
	return pool, nil
}

// LoadDevRootCerts returns the development root in dir, as a list: what
// a verification in another process is given to trust.
func LoadDevRootCerts(dir string) ([]*x509.Certificate, error) {
	b, err := os.ReadFile(DevRootPath(dir))
	if err != nil {
		return nil, fmt.Errorf("signing: unable to read dev root: %v", err)
	}
	certs, err := ParseCertsPEM(b)
	if err != nil {
		return nil, fmt.Errorf("signing: unable to read dev root: %v", err)
	}
	return certs, nil
}

// ParseCertsPEM returns the certificates of the PEM blocks in b, skipping
// what does not parse, as x509.CertPool.AppendCertsFromPEM does.
func ParseCertsPEM(b []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var blk *pem.Block
		if blk, b = pem.Decode(b); blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		if c, err := x509.ParseCertificate(blk.Bytes); err == nil {
			certs = append(certs, c)
		}
	}
	if len(certs) == 0 {
		return nil, errors.New("no PEM certificate")
	}
	return certs, nil
}

// devRoot loads the root and its key, or makes them (fresh = true).
func devRoot(dir string) (*x509.Certificate, crypto.Signer, bool, error) {
	certPEM, certErr := os.ReadFile(DevRootPath(dir))
	keyPEM, keyErr := os.ReadFile(devRootKeyPath(dir))
	if certErr == nil && keyErr == nil {
		k, err := parsePEM(certPEM, keyPEM)
		if err != nil {
			return nil, nil, false, fmt.Errorf("signing: unable to load dev root: %w", err)
		}
		if err := checkKey(k, time.Now()); err != nil {
			return nil, nil, false, fmt.Errorf("signing: unable to load dev root (delete %s to start again): %w", dir, err)
		}
		return k.Certificate(), k.Signer, false, nil
	}
	if !errors.Is(certErr, fs.ErrNotExist) && certErr != nil {
		return nil, nil, false, fmt.Errorf("signing: unable to read dev root: %v", certErr)
	}
	if !errors.Is(keyErr, fs.ErrNotExist) && keyErr != nil {
		return nil, nil, false, fmt.Errorf("signing: unable to read dev root key: %v", keyErr)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, false, fmt.Errorf("signing: unable to generate dev root key: %v", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject: pkix.Name{
			CommonName:         devRootCN,
			Organization:       []string{"vanban development"},
			OrganizationalUnit: []string{DevOU},
			Country:            []string{"VN"},
		},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(20, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, false, fmt.Errorf("signing: unable to create dev root: %v", err)
	}
	root, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, false, fmt.Errorf("signing: unable to create dev root: %v", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, false, fmt.Errorf("signing: unable to encode dev root key: %v", err)
	}
	// The key first: a root certificate without its key could not issue.
	if err := writeFileAtomic(devRootKeyPath(dir), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return nil, nil, false, err
	}
	if err := writeFileAtomic(DevRootPath(dir), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return nil, nil, false, err
	}
	return root, key, true, nil
}

// IssueDevCertificate issues, from the development root in dir (made by
// GenerateDevPKI), a signing certificate for a key held elsewhere (a
// SoftHSM token standing for a person's USB token, a test remote-signing
// service); the chain is leaf then root.
func IssueDevCertificate(dir string, subject pkix.Name, pub crypto.PublicKey, notBefore, notAfter time.Time) ([]*x509.Certificate, error) {
	certPEM, certErr := os.ReadFile(DevRootPath(dir))
	keyPEM, keyErr := os.ReadFile(devRootKeyPath(dir))
	if err := errors.Join(certErr, keyErr); err != nil {
		return nil, fmt.Errorf("signing: unable to read the dev root: %v", err)
	}
	k, err := parsePEM(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("signing: unable to load dev root: %w", err)
	}
	der, err := x509.CreateCertificate(rand.Reader, devLeafTemplate(subject, notBefore, notAfter), k.Certificate(), pub, k.Signer)
	if err != nil {
		return nil, fmt.Errorf("signing: unable to create dev certificate for %q: %v", subject.CommonName, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("signing: unable to create dev certificate for %q: %v", subject.CommonName, err)
	}
	return []*x509.Certificate{leaf, k.Certificate()}, nil
}

func devLeafTemplate(subject pkix.Name, notBefore, notAfter time.Time) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      subject,
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		// As the signing certificates of Vietnamese CAs carry it: NSS-based
		// validators (poppler's pdfsig, Firefox, Thunderbird) accept a
		// signing certificate only with emailProtection among its extended
		// key usages; the document-signing OIDs are for Adobe and Microsoft.
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
		UnknownExtKeyUsage:    []asn1.ObjectIdentifier{OIDDocumentSigningMicrosoft, OIDDocumentSigning},
		BasicConstraintsValid: true,
	}
}

func writeDevLeaf(path string, subject pkix.Name, root *x509.Certificate, rootKey crypto.Signer, now time.Time) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("signing: unable to generate dev key: %v", err)
	}
	tmpl := devLeafTemplate(subject, now.Add(-time.Hour), now.AddDate(5, 0, 0))
	der, err := x509.CreateCertificate(rand.Reader, tmpl, root, key.Public(), rootKey)
	if err != nil {
		return fmt.Errorf("signing: unable to create dev certificate for %q: %v", subject.CommonName, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("signing: unable to encode dev key: %v", err)
	}
	var out bytes.Buffer
	for _, b := range []*pem.Block{
		{Type: "CERTIFICATE", Bytes: der},
		{Type: "CERTIFICATE", Bytes: root.Raw},
		{Type: "PRIVATE KEY", Bytes: keyDER},
	} {
		pem.Encode(&out, b) //nolint:errcheck // a bytes.Buffer does not fail
	}
	return writeFileAtomic(path, out.Bytes(), 0o600)
}

func randomSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return n.Add(n, big.NewInt(1))
}

// writeFileAtomic writes to a temporary file renamed into place, so a
// crash never leaves half a key file.
func writeFileAtomic(path string, b []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("signing: unable to write %s: %v", path, err)
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return fmt.Errorf("signing: unable to write %s: %v", path, err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("signing: unable to write %s: %v", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("signing: unable to write %s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("signing: unable to write %s: %v", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("signing: unable to write %s: %v", path, err)
	}
	return nil
}
