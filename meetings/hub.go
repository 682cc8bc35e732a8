package meetings

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// EventChannel is the PostgreSQL notification channel that carries
// meeting events between the instances of the service.
const EventChannel = "meeting_events"

// ListenerName is the application name the hub's listening connection
// shows in pg_stat_activity (unless the URL names one).
const ListenerName = "vanban-meeting-events"

// EventKind says what changed in a meeting: the event stream names it and
// the page fetches itself again. Every kind is a constant below and in
// eventKinds, which the page receives from the server (EventKinds), so a
// new kind is added here and nowhere else.
type EventKind string

// The kinds of meeting events.
const (
	EventAgenda       EventKind = "agenda"
	EventParticipants EventKind = "participants"
	EventAttendance   EventKind = "attendance"
	EventSpeakers     EventKind = "speakers"
	EventComments     EventKind = "comments"
	EventBallot       EventKind = "ballot"
	EventMeeting      EventKind = "meeting" // its details, status or documents
	// EventRemoved tells a person they lost access to a meeting: their
	// streams of it end after it.
	EventRemoved EventKind = "removed"
)

var eventKinds = []EventKind{EventAgenda, EventParticipants, EventAttendance, EventSpeakers,
	EventComments, EventBallot, EventMeeting, EventRemoved}

// EventKinds returns every kind of meeting event, for the page's script to
// listen to.
func EventKinds() []EventKind { return slices.Clone(eventKinds) }

// checkKind refuses an event of a kind no page listens to.
func checkKind(k EventKind) error {
	if !slices.Contains(eventKinds, k) {
		return fmt.Errorf("meetings: unable to publish event: unknown kind %q", k)
	}
	return nil
}

// subscriberBuffer is how many events a subscriber may fall behind before
// the hub drops it (its channel closes; the client reconnects and reloads).
const subscriberBuffer = 64

// Hub hands meeting events to the live streams open on this instance.
// Events are sent with pg_notify inside the transaction that makes the
// change, so they leave only on commit, and every instance's Hub receives
// them through LISTEN; a Hub without a listen URL works in-process only.
type Hub struct {
	db        *sqlx.DB
	listenURL string
	log       *slog.Logger

	mu      sync.Mutex
	subs    map[int64]map[*subscriber]struct{} // by meeting
	stopped bool

	ready     chan struct{}
	readyOnce sync.Once
}

type subscriber struct {
	meetingID, userID int64
	ch                chan Event
}

// NewHub returns a Hub that listens for events on the PostgreSQL server at
// listenURL (a URL lib/pq accepts; it takes one connection of its own).
// With an empty listenURL, events are delivered in-process only, at the
// moment they are published rather than at commit: enough for one
// instance in tests, not for production.
func NewHub(db *sqlx.DB, listenURL string, log *slog.Logger) *Hub {
	if log == nil {
		log = slog.Default()
	}
	h := &Hub{db: db, listenURL: listenURL, log: log, subs: map[int64]map[*subscriber]struct{}{}, ready: make(chan struct{})}
	if listenURL == "" {
		h.markReady()
	}
	return h
}

// Ready is closed once the Hub receives events from the database (at once
// for an in-process Hub).
func (h *Hub) Ready() <-chan struct{} { return h.ready }

func (h *Hub) markReady() { h.readyOnce.Do(func() { close(h.ready) }) }

// Run receives events until ctx ends, then closes every subscription. If
// the connection to the database is lost, every subscription is closed
// once it is back: events (a removal among them) may have been missed, so
// clients reconnect, which checks their access again, and reload.
func (h *Hub) Run(ctx context.Context) {
	defer h.stop()
	if h.listenURL == "" {
		<-ctx.Done()
		return
	}
	l := pq.NewListener(listenerDSN(h.listenURL), 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventDisconnected, pq.ListenerEventConnectionAttemptFailed:
			h.log.Warn("meetings: event listener disconnected", "event", ev.String(), "error", err)
		case pq.ListenerEventReconnected:
			h.log.Info("meetings: event listener reconnected")
		}
	})
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case <-ctx.Done():
			l.Close() // unblocks Listen, and ends the notification channel
		case <-stopped:
		}
	}()
	// The database may not answer yet (the service starting with it):
	// keep trying rather than run without live events.
	for {
		err := l.Listen(EventChannel)
		if err == nil || errors.Is(err, pq.ErrChannelAlreadyOpen) {
			break
		}
		if ctx.Err() != nil {
			return
		}
		h.log.Error("meetings: unable to listen for events; retrying", "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(2 * time.Second):
		}
	}
	defer l.Close()
	h.markReady()
	ping := time.NewTicker(30 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ping.C:
			// A connection that died quietly is only noticed when used.
			go l.Ping() //nolint:errcheck
		case n, ok := <-l.NotificationChannel():
			if !ok {
				return
			}
			if n == nil {
				// Reconnected: what was sent meanwhile is lost.
				h.closeAll()
				continue
			}
			var ev Event
			if err := json.Unmarshal([]byte(n.Extra), &ev); err != nil {
				h.log.Error("meetings: bad event payload", "error", err)
				continue
			}
			h.deliver(ev)
		}
	}
}

// listenerDSN names the listening connection, in either form of
// connection string lib/pq accepts.
func listenerDSN(dsn string) string {
	if strings.Contains(dsn, "application_name") {
		return dsn
	}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return dsn
		}
		q := u.Query()
		q.Set("fallback_application_name", ListenerName)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " fallback_application_name=" + ListenerName
}

// Publish sends ev outside any transaction (see Service.publish for the
// usual way, inside the transaction of the change).
func (h *Hub) Publish(ctx context.Context, ev Event) error {
	if err := checkKind(ev.Kind); err != nil {
		return err
	}
	if h.db == nil {
		h.deliver(ev)
		return nil
	}
	return h.publish(ctx, h.db, ev)
}

func (h *Hub) publish(ctx context.Context, q sqlx.ExecerContext, ev Event) error {
	b, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("meetings: unable to encode event: %w", err)
	}
	if _, err := q.ExecContext(ctx, `SELECT pg_notify($1, $2)`, EventChannel, string(b)); err != nil {
		return fmt.Errorf("meetings: unable to publish event: %w", err)
	}
	if h.listenURL == "" {
		h.deliver(ev)
	}
	return nil
}

// publish sends ev to every open screen of its meeting, on every
// instance, when the transaction q belongs to commits.
func (s *Service) publish(ctx context.Context, q sqlx.ExecerContext, ev Event) error {
	if err := checkKind(ev.Kind); err != nil {
		return err
	}
	if s.hub == nil {
		return nil
	}
	return s.hub.publish(ctx, q, ev)
}

// deliver hands ev to the subscribers of its meeting. A removal goes to
// the removed person only, whose subscriptions then end. A subscriber too
// far behind is dropped rather than waited for.
func (h *Hub) deliver(ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs[ev.MeetingID] {
		if ev.Kind == EventRemoved && sub.userID != ev.UserID {
			continue
		}
		select {
		case sub.ch <- ev:
		default:
			h.log.Warn("meetings: dropping a slow event subscriber", "meeting_id", sub.meetingID, "user_id", sub.userID)
			h.dropLocked(sub)
			continue
		}
		if ev.Kind == EventRemoved {
			h.dropLocked(sub)
		}
	}
}

func (h *Hub) subscribe(meetingID, userID int64) (*subscriber, func()) {
	sub := &subscriber{meetingID: meetingID, userID: userID, ch: make(chan Event, subscriberBuffer)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		close(sub.ch)
		return sub, func() {}
	}
	if h.subs[meetingID] == nil {
		h.subs[meetingID] = map[*subscriber]struct{}{}
	}
	h.subs[meetingID][sub] = struct{}{}
	return sub, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.dropLocked(sub)
	}
}

// dropLocked removes sub and closes its channel, once.
func (h *Hub) dropLocked(sub *subscriber) {
	set := h.subs[sub.meetingID]
	if _, ok := set[sub]; !ok {
		return
	}
	delete(set, sub)
	if len(set) == 0 {
		delete(h.subs, sub.meetingID)
	}
	close(sub.ch)
}

func (h *Hub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closeAllLocked()
}

func (h *Hub) closeAllLocked() {
	for _, set := range h.subs {
		for sub := range set {
			h.dropLocked(sub)
		}
	}
}

func (h *Hub) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopped = true
	h.closeAllLocked()
}

// Subscribe opens a live stream of the meeting's events for p. The
// channel closes when p loses access (a "removed" event is its last), when
// p falls too far behind, when the hub stops or loses its connection, or
// when the returned function (which the caller must call) is called.
func (s *Service) Subscribe(ctx context.Context, p auth.Principal, meetingID int64) (<-chan Event, func(), error) {
	if s.hub == nil {
		return nil, nil, fmt.Errorf("meetings: live events are not configured")
	}
	// Subscribe first, then check: a removal committed after the check
	// finds the subscription and closes it; one committed before fails it.
	sub, cancel := s.hub.subscribe(meetingID, p.UserID)
	if _, err := s.access(ctx, s.db, p, meetingID); err != nil {
		cancel()
		return nil, nil, err
	}
	return sub.ch, cancel, nil
}

// publishKind publishes an event of kind at the meeting's current revision.
func (s *Service) publishKind(ctx context.Context, tx *sqlx.Tx, meetingID int64, kind EventKind) error {
	rev, err := currentRevision(ctx, tx, meetingID)
	if err != nil {
		return err
	}
	return s.publish(ctx, tx, Event{MeetingID: meetingID, Kind: kind, Revision: rev})
}
