package auth

import (
	"context"

	"github.com/coreos/go-oidc/v3/oidc"
)

// VerifyForTest checks raw as Finish does, under the test's verifier.
func (o *OIDC) VerifyForTest(ctx context.Context, v *oidc.IDTokenVerifier, raw, nonce string) (map[string]any, error) {
	id, err := o.verify(ctx, v, raw, nonce)
	return id.claims, err
}

// LinkForTest finds or links the account of a verified identity.
func (o *OIDC) LinkForTest(ctx context.Context, issuer, subject string, claims map[string]any) (int64, error) {
	return o.link(ctx, identity{Issuer: issuer, Subject: subject, claims: claims})
}

// ClaimUseForTest takes a flow's state at its callback.
func (o *OIDC) ClaimUseForTest(f OIDCFlow, state string) bool { return o.claimUse(f, state) }
