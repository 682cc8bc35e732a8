package signing

import (
	"context"
	"os"
	"testing"
)

// DirKeys parses a key file once, and again when the file is replaced.
func TestDirKeysCache(t *testing.T) {
	dir := t.TempDir()
	people := []DevPerson{{Username: "a", FullName: "Nguyễn Văn A"}}
	if err := GenerateDevPKI(dir, DevOrg{Code: "000.00.24.H29", Name: "Sở"}, people); err != nil {
		t.Fatal(err)
	}
	keys := DirKeys{Dir: dir}
	k1, release, err := keys.PersonKey(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	release()
	k2, _, err := keys.PersonKey(context.Background(), "a")
	if err != nil || k2.Signer != k1.Signer {
		t.Fatalf("second load: %v, same signer %v", err, k2.Signer == k1.Signer)
	}
	// A new key pair in the same file, at once: the cache sees the change.
	path := DevPersonPath(dir, "a")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := GenerateDevPKI(dir, DevOrg{Code: "000.00.24.H29", Name: "Sở"}, people); err != nil {
		t.Fatal(err)
	}
	k3, _, err := keys.PersonKey(context.Background(), "a")
	if err != nil || k3.Certificate().Equal(k1.Certificate()) {
		t.Fatalf("after replacing the file: %v, same certificate %v", err, err == nil && k3.Certificate().Equal(k1.Certificate()))
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, _, err := keys.PersonKey(context.Background(), "a"); err == nil {
		t.Fatal("a removed key file still signs")
	}
}
