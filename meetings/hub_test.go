package meetings_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/meetings"
)

// runHub runs h until the test ends and waits for it to listen.
func (f *meetingFixture) runHub(h *meetings.Hub) {
	f.t.Helper()
	ctx, stop := context.WithCancel(f.ctx)
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	f.t.Cleanup(func() { stop(); <-done })
	select {
	case <-h.Ready():
	case <-time.After(10 * time.Second):
		f.t.Fatal("the hub does not listen")
	}
}

func (f *meetingFixture) subscribe(svc *meetings.Service, p auth.Principal, meetingID int64) <-chan meetings.Event {
	f.t.Helper()
	ch, cancel, err := svc.Subscribe(f.ctx, p, meetingID)
	if err != nil {
		f.t.Fatalf("%s subscribes: %v", p.Username, err)
	}
	f.t.Cleanup(cancel)
	return ch
}

// nextEvent waits for an event of kind on ch, skipping others.
func nextEvent(t *testing.T, ch <-chan meetings.Event, kind meetings.EventKind) meetings.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("stream closed while waiting for %s", kind)
			}
			if ev.Kind == kind {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s event", kind)
		}
	}
}

func wantClosed(t *testing.T, ch <-chan meetings.Event) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatal("stream still open")
		}
	}
}

// testHubAcrossInstances runs two instances (a Service and a listening
// Hub each) on one database: a change made on one reaches the streams
// open on the other, and a removal made on one closes the removed
// person's streams on both.
func testHubAcrossInstances(t *testing.T, f *meetingFixture) {
	hubA, hubB := meetings.NewHub(f.db, f.dbURL, nil), meetings.NewHub(f.db, f.dbURL, nil)
	f.runHub(hubA)
	f.runHub(hubB)
	a, b := f.newService(hubA), f.newService(hubB)
	sc := f.scene()
	mid := sc.m.ID
	org, chair, person, q1clerk := f.who("vanthu.sgd"), f.who("giamdoc.sgd"), f.who("daibieu.gdtrh"), f.who("vanthu.q1")

	chairB := f.subscribe(b, chair, mid)
	personB := f.subscribe(b, person, mid)
	clerkA, clerkB := f.subscribe(a, q1clerk, mid), f.subscribe(b, q1clerk, mid)

	it, err := a.AddItem(f.ctx, org, mid, meetings.ItemInput{Title: "Mục bổ sung"})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := a.Get(f.ctx, org, mid)
	for name, ch := range map[string]<-chan meetings.Event{"chair on B": chairB, "person on B": personB, "clerk on A": clerkA, "clerk on B": clerkB} {
		// The scene's own events may still be arriving: skip older revisions.
		for {
			ev := nextEvent(t, ch, meetings.EventAgenda)
			if ev.MeetingID != mid || ev.Revision > m.Revision {
				t.Fatalf("%s: %+v, want revision %d", name, ev, m.Revision)
			}
			if ev.Revision == m.Revision {
				break
			}
		}
	}

	// Removed on A: the person's stream on B ends with the removal.
	if err := a.RemoveParticipant(f.ctx, org, mid, sc.person.ID); err != nil {
		t.Fatal(err)
	}
	wantRemoved(t, personB, person.UserID)
	nextEvent(t, chairB, meetings.EventParticipants)
	// The unit removed on B: its clerk's streams end on both instances.
	if err := b.RemoveParticipant(f.ctx, org, mid, sc.unitPtc.ID); err != nil {
		t.Fatal(err)
	}
	wantRemoved(t, clerkA, q1clerk.UserID)
	wantRemoved(t, clerkB, q1clerk.UserID)
	// The chair's stream is still open and hears what follows.
	if _, err := b.AddComment(f.ctx, chair, mid, it.ID, 0, "Thống nhất bổ sung"); err != nil {
		t.Fatal(err)
	}
	nextEvent(t, chairB, meetings.EventComments)
	if _, _, err := a.Subscribe(f.ctx, person, mid); err == nil {
		t.Error("a removed person subscribed again")
	}

	// A lost connection may have lost a removal: every stream on the
	// instance closes when the hub is back, and clients reconnect.
	var n int
	if err := f.db.Get(&n, `
		SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = $1`, meetings.ListenerName); err != nil || n != 2 {
		t.Fatalf("terminated %d listeners (%v), want the 2 hubs'", n, err)
	}
	wantClosed(t, chairB)
	again := f.subscribe(b, chair, mid)
	deadline := time.Now().Add(10 * time.Second)
	for {
		// Until B listens again, events are lost; keep changing.
		if _, err := a.AddComment(f.ctx, org, mid, 0, 0, "Kiểm tra kết nối"); err != nil {
			t.Fatal(err)
		}
		select {
		case ev, ok := <-again:
			if !ok {
				// Subscribed before the reconnection: closed by it.
				again = f.subscribe(b, chair, mid)
				continue
			}
			if ev.Kind != meetings.EventComments {
				t.Fatalf("event %+v", ev)
			}
			return
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("no events after the hub reconnected")
		}
	}
}

// testHubSlowSubscriber checks that a subscriber who stops reading is
// dropped without holding up the others.
func testHubSlowSubscriber(t *testing.T, f *meetingFixture) {
	sc := f.scene()
	mid := sc.m.ID
	slow := f.subscribe(f.svc, f.who("giamdoc.sgd"), mid)
	fast := f.subscribe(f.svc, f.who("vanthu.sgd"), mid)
	const events = 200
	var wg sync.WaitGroup
	wg.Add(1)
	got := 0
	go func() {
		defer wg.Done()
		for ev := range fast {
			if ev.Kind == meetings.EventSpeakers {
				got++
				if got == events {
					return
				}
			}
		}
	}()
	for i := 0; i < events; i++ {
		if err := f.hub.Publish(f.ctx, meetings.Event{MeetingID: mid, Kind: meetings.EventSpeakers, Revision: i}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond) // the fast reader keeps up
	}
	wg.Wait()
	if got != events {
		t.Errorf("the fast subscriber got %d events, want %d", got, events)
	}
	buffered := 0
	for range slow {
		buffered++
	}
	if buffered == 0 || buffered >= events {
		t.Errorf("the slow subscriber got %d events before being dropped", buffered)
	}
}

// testHubStop checks that stopping the hub ends every stream, and that
// streams opened afterwards end at once.
func testHubStop(t *testing.T, f *meetingFixture) {
	sc := f.scene()
	h := meetings.NewHub(nil, "", nil)
	svc := f.newService(h)
	ctx, stop := context.WithCancel(f.ctx)
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	ch := f.subscribe(svc, f.who("giamdoc.sgd"), sc.m.ID)
	if err := h.Publish(f.ctx, meetings.Event{MeetingID: sc.m.ID, Kind: meetings.EventMeeting}); err != nil {
		t.Fatal(err)
	}
	nextEvent(t, ch, meetings.EventMeeting)
	stop()
	<-done
	wantClosed(t, ch)
	wantClosed(t, f.subscribe(svc, f.who("giamdoc.sgd"), sc.m.ID))
	// Publishing to a stopped hub is harmless.
	if err := h.Publish(f.ctx, meetings.Event{MeetingID: sc.m.ID, Kind: meetings.EventMeeting}); err != nil {
		t.Fatal(err)
	}
}
