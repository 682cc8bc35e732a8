package meetings_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/meetings"
)

// TestRemovalCutsAccessAtOnce removes a person and a unit and checks that
// reads fail and live streams close right after.
func testRemovalCutsAccessAtOnce(t *testing.T, f *meetingFixture) {
	sc := f.scene()
	mid := sc.m.ID
	org := f.who("vanthu.sgd")
	person, q1clerk, q1head := f.who("daibieu.gdtrh"), f.who("vanthu.q1"), f.who("truongphong.q1")
	// The head of the Quận 1 office is also invited in person: removing
	// the unit must leave him in.
	if _, err := f.svc.AddParticipant(f.ctx, org, mid, meetings.ParticipantInput{UserID: q1head.UserID, Role: "guest"}); err != nil {
		t.Fatal(err)
	}
	streams := map[string]<-chan meetings.Event{}
	for _, p := range []auth.Principal{person, q1clerk, q1head} {
		ch, cancel, err := f.svc.Subscribe(f.ctx, p, mid)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cancel)
		streams[p.Username] = ch
	}

	if err := f.svc.RemoveParticipant(f.ctx, org, mid, sc.person.ID); err != nil {
		t.Fatal(err)
	}
	wantRemoved(t, streams["daibieu.gdtrh"], person.UserID)
	for _, op := range []func() error{
		func() error { _, err := f.svc.Get(f.ctx, person, mid); return err },
		func() error { _, _, _, err := f.svc.OpenDocument(f.ctx, person, mid, sc.draft.ID); return err },
		func() error { _, err := f.svc.PresignDocument(f.ctx, person, mid, sc.draft.ID); return err },
		func() error { _, err := f.svc.Sources(f.ctx, person, mid); return err },
		func() error { _, _, err := f.svc.Subscribe(f.ctx, person, mid); return err },
	} {
		wantIs(t, op(), domain.ErrNotFound)
	}

	if err := f.svc.RemoveParticipant(f.ctx, org, mid, sc.unitPtc.ID); err != nil {
		t.Fatal(err)
	}
	wantRemoved(t, streams["vanthu.q1"], q1clerk.UserID)
	if _, err := f.svc.Get(f.ctx, q1clerk, mid); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("the unit's clerk still sees the meeting: %v", err)
	}
	if m, err := f.svc.Get(f.ctx, q1head, mid); err != nil || m.MyRole != meetings.RoleParticipant {
		t.Errorf("the head invited in person lost access: %v", err)
	}
	// His stream stays open: it hears both changes, and no removal.
	participantEvents := 0
	for drained := false; !drained; {
		select {
		case ev, ok := <-streams["truongphong.q1"]:
			if !ok || ev.Kind == meetings.EventRemoved {
				t.Fatalf("the head's stream got %+v (open %v)", ev, ok)
			}
			if ev.Kind == meetings.EventParticipants {
				participantEvents++
			}
		case <-time.After(300 * time.Millisecond):
			drained = true
		}
	}
	if participantEvents != 2 {
		t.Errorf("the head heard %d participant changes, want 2", participantEvents)
	}
	if err := f.svc.RemoveParticipant(f.ctx, org, mid, sc.unitPtc.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("removing twice: %v", err)
	}

	// A secretary replaced loses access too.
	sec := f.who("thuky.vp")
	ch, cancel, err := f.svc.Subscribe(f.ctx, sec, mid)
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	in := f.input()
	in.SecretaryID = f.who("chuyenvien.sgd").UserID
	if _, err := f.svc.Update(f.ctx, org, mid, in); err != nil {
		t.Fatal(err)
	}
	wantRemoved(t, ch, sec.UserID)
	if _, err := f.svc.Get(f.ctx, sec, mid); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("the former secretary still sees the meeting: %v", err)
	}
}

// wantRemoved reads ch until the removal of userID, which must be the
// last event before the channel closes.
func wantRemoved(t *testing.T, ch <-chan meetings.Event, userID int64) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	removed := false
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				if !removed {
					t.Fatal("stream closed without a removed event")
				}
				return
			}
			if removed {
				t.Fatalf("event %+v after removal", ev)
			}
			if ev.Kind == meetings.EventRemoved {
				if ev.UserID != userID {
					t.Fatalf("removed %d, want %d", ev.UserID, userID)
				}
				removed = true
			}
		case <-timeout:
			t.Fatalf("stream still open (removed event seen: %v)", removed)
		}
	}
}
