package signing_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/hcm-edu/vanban/signing"
)

func TestZZOne(t *testing.T) {
	in, _ := os.ReadFile(os.Getenv("ZZFILE"))
	rep, err := signing.Verify(in, signing.VerifyOptions{})
	b, _ := json.MarshalIndent(rep, "", " ")
	t.Logf("%v %s", err, b)
}
