package documents

import (
	"context"

	"github.com/hcm-edu/vanban/auth"
)

// SecondFactor checks the one-time code of a signature or seal made with a
// key the server holds (auth.Service.StepUp): nil when the user has not
// enrolled and need not; else the code must be fresh and is spent.
type SecondFactor interface {
	StepUp(ctx context.Context, p auth.Principal, code string) error
}

// SetSecondFactor makes signing and sealing ask f for the user's code just
// before the server's key is used. Without it (tests of other parts, tools
// acting as a user) no code is asked.
func (s *Service) SetSecondFactor(f SecondFactor) { s.factor = f }

// stepUp checks p's code for a use of the server's keys.
func (s *Service) stepUp(ctx context.Context, p auth.Principal, code string) error {
	if s.factor == nil {
		return nil
	}
	return s.factor.StepUp(ctx, p, code)
}
