package meetings_test

import (
	"testing"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/meetings"
)

func testSpeakQueueRules(t *testing.T, f *meetingFixture) {
	sc := f.scene()
	mid := sc.m.ID
	org, chair, sec := f.who("vanthu.sgd"), f.who("giamdoc.sgd"), f.who("thuky.vp")
	person, q1clerk, q1head := f.who("daibieu.gdtrh"), f.who("vanthu.q1"), f.who("truongphong.q1")

	for _, p := range []auth.Principal{person, q1clerk} {
		if _, err := f.svc.CheckIn(f.ctx, p, mid); err != nil {
			t.Fatal(err)
		}
	}
	_, err := f.svc.RequestToSpeak(f.ctx, person, mid, sc.item.ID)
	wantCode(t, err, "meeting_not_in_progress")
	if _, err := f.svc.Update(f.ctx, org, mid, meetings.Input{Status: meetings.StatusInProgress}); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.RequestToSpeak(f.ctx, q1head, mid, 0)
	wantCode(t, err, "not_checked_in")

	r1, err := f.svc.RequestToSpeak(f.ctx, person, mid, sc.item.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r1.State != meetings.SpeakWaiting || r1.Name != "Đỗ Quốc Bảo" || r1.ItemID == nil || *r1.ItemID != sc.item.ID {
		t.Errorf("request = %+v", r1)
	}
	_, err = f.svc.RequestToSpeak(f.ctx, person, mid, 0)
	wantCode(t, err, "already_requested")
	_, err = f.svc.RequestToSpeak(f.ctx, q1clerk, mid, 999999)
	wantInvalid(t, err, "item_id")
	r2, err := f.svc.RequestToSpeak(f.ctx, q1clerk, mid, 0)
	if err != nil {
		t.Fatal(err)
	}

	// Only the chair gives the floor, and only its owner withdraws a request.
	_, err = f.svc.SetSpeakState(f.ctx, sec, r1.ID, meetings.SpeakSpeaking)
	wantIs(t, err, domain.ErrForbidden)
	wantIs(t, f.svc.WithdrawSpeak(f.ctx, q1clerk, r1.ID), domain.ErrForbidden)
	_, err = f.svc.SetSpeakState(f.ctx, chair, r1.ID, meetings.SpeakDone)
	wantCode(t, err, "illegal_transition")
	_, err = f.svc.SetSpeakState(f.ctx, chair, r1.ID, "shouting")
	wantInvalid(t, err, "state")

	if _, err := f.svc.SetSpeakState(f.ctx, chair, r1.ID, meetings.SpeakSpeaking); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.svc.WithdrawSpeak(f.ctx, person, r1.ID), "not_waiting")
	// Still one open request while speaking.
	_, err = f.svc.RequestToSpeak(f.ctx, person, mid, 0)
	wantCode(t, err, "already_requested")
	q, err := f.svc.SpeakQueue(f.ctx, q1head, mid)
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 2 || q[0].ID != r1.ID || q[0].State != meetings.SpeakSpeaking || q[1].ID != r2.ID {
		t.Errorf("queue = %+v", q)
	}
	// Giving the floor to the next closes the current speaker.
	if _, err := f.svc.SetSpeakState(f.ctx, chair, r2.ID, meetings.SpeakSpeaking); err != nil {
		t.Fatal(err)
	}
	q, _ = f.svc.SpeakQueue(f.ctx, chair, mid)
	if len(q) != 1 || q[0].ID != r2.ID {
		t.Errorf("queue = %+v, want the second speaker alone", q)
	}
	if _, err := f.svc.SetSpeakState(f.ctx, chair, r2.ID, meetings.SpeakDone); err != nil {
		t.Fatal(err)
	}
	// Done: they may ask again, and withdraw while waiting.
	r3, err := f.svc.RequestToSpeak(f.ctx, person, mid, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.WithdrawSpeak(f.ctx, person, r3.ID); err != nil {
		t.Fatal(err)
	}
	if q, _ = f.svc.SpeakQueue(f.ctx, chair, mid); len(q) != 0 {
		t.Errorf("queue = %+v, want empty", q)
	}
}
