// Package meetings hosts paperless meetings (phòng họp không giấy): the
// meeting and its agenda, the packet only its people can read, check-in,
// requests to speak, comments, ballots bound to each voter by a hash
// chain, and the minutes. Who may see and do what is decided here: anyone
// who is not the organiser, the chair, the secretary or a participant
// gets domain.ErrNotFound, exactly as if the meeting did not exist, and
// what each of them may do is one value, Actions, computed by the rules
// of actions.go that every operation checks. The id of a ballot, request
// to speak, agenda item or document is resolved together with the
// caller's place in its meeting in one statement, so one of a meeting the
// caller has no part in and one that does not exist cost the same.
//
// Sharing rule. A meeting shows its people only what may be shared with
// them. An agenda document is shared when it is a file uploaded for the
// meeting, a document of the organiser unit, a document of the unit that
// attached it (a unit shares its own documents), or a document that every
// unit of the meeting already sees (the organiser's, the chair's, the
// secretary's, each participating unit and each participant's): a
// document received from elsewhere goes into a meeting only once it has
// reached everyone in it, and the way to make it reach them is to relay
// it through routing, which records who sent it to whom and when. Who
// attached each document, for which unit, and when is recorded. The rule
// is checked when a document is attached and again at every read: a
// document that stops being shared (the sender recalls it and the
// recall is accepted, or a participant is added whose unit never received
// it) is served to nobody, by download or presigned link, and the packet
// is rebuilt without it.
package meetings

import (
	"time"
)

// Meeting states.
const (
	StatusScheduled  = "scheduled"
	StatusInProgress = "in_progress"
	StatusEnded      = "ended"
	StatusCancelled  = "cancelled"
)

// Roles a person holds in a meeting (MyRole); the strongest is reported.
const (
	RoleOrganiser   = "organiser"
	RoleChair       = "chair"
	RoleSecretary   = "secretary"
	RoleParticipant = "participant" // a member or guest, in person or through their unit
)

// Meeting is a meeting as one of its people sees it.
type Meeting struct {
	ID                   int64         `db:"id" json:"id"`
	OrganiserUnitID      int64         `db:"organiser_unit_id" json:"organiser_unit_id"`
	OrganiserUnit        string        `db:"organiser_unit" json:"organiser_unit"`
	Title                string        `db:"title" json:"title"`
	StartsAt             time.Time     `db:"starts_at" json:"starts_at"`
	EndsAt               time.Time     `db:"ends_at" json:"ends_at"`
	Place                string        `db:"place" json:"place"`
	OnlineURL            string        `db:"online_url" json:"online_url,omitempty"`
	ChairID              int64         `db:"chair_id" json:"chair_id"`
	ChairName            string        `db:"chair_name" json:"chair_name"`
	SecretaryID          int64         `db:"secretary_id" json:"secretary_id"`
	SecretaryName        string        `db:"secretary_name" json:"secretary_name"`
	Status               string        `db:"status" json:"status"`
	Revision             int           `db:"revision" json:"revision"`
	InvitationDocumentID *int64        `db:"invitation_document_id" json:"invitation_document_id,omitempty"`
	MinutesDocumentID    *int64        `db:"minutes_document_id" json:"minutes_document_id,omitempty"`
	ConclusionDocumentID *int64        `db:"conclusion_document_id" json:"conclusion_document_id,omitempty"`
	CreatedBy            int64         `db:"created_by" json:"created_by"`
	CreatedAt            time.Time     `db:"created_at" json:"created_at"`
	Items                []Item        `db:"-" json:"items"`
	Participants         []Participant `db:"-" json:"participants"`
	MyRole               string        `db:"-" json:"my_role"`
	// Actions is what the caller may do with the meeting (Get only).
	Actions Actions `db:"-" json:"actions"`
}

// Input creates or changes a meeting. Times are in any zone; they are shown
// in Vietnam time.
type Input struct {
	Title       string    `json:"title"`
	StartsAt    time.Time `json:"starts_at"`
	EndsAt      time.Time `json:"ends_at"`
	Place       string    `json:"place"`
	OnlineURL   string    `json:"online_url"`
	ChairID     int64     `json:"chair_id"`
	SecretaryID int64     `json:"secretary_id"`
	Status      string    `json:"status"` // Update only: in_progress, ended or cancelled; empty keeps it
}

// Item is an agenda item.
type Item struct {
	ID        int64       `db:"id" json:"id"`
	Position  int         `db:"position" json:"position"`
	Title     string      `db:"title" json:"title"`
	Presenter string      `db:"presenter" json:"presenter"`
	StartsAt  *time.Time  `db:"starts_at" json:"starts_at,omitempty"`
	EndsAt    *time.Time  `db:"ends_at" json:"ends_at,omitempty"`
	Documents []AgendaDoc `db:"-" json:"documents"`
}

// ItemInput adds an agenda item.
type ItemInput struct {
	Title     string     `json:"title"`
	Presenter string     `json:"presenter"`
	StartsAt  *time.Time `json:"starts_at"`
	EndsAt    *time.Time `json:"ends_at"`
}

// AgendaDoc is one document of an agenda item: a version of an existing
// document, or a file uploaded for the meeting (a draft, say).
type AgendaDoc struct {
	ID         int64  `db:"id" json:"id"`
	ItemID     int64  `db:"item_id" json:"item_id"`
	Position   int    `db:"position" json:"position"`
	Title      string `db:"title" json:"title"`
	Draft      bool   `db:"draft" json:"draft"`
	DocumentID *int64 `db:"document_id" json:"document_id,omitempty"`
	VersionNo  *int   `db:"version_no" json:"version,omitempty"`
	FileID     *int64 `db:"file_id" json:"file_id,omitempty"`
	ObjectKey  string `db:"object_key" json:"-"`
	SHA256     string `db:"sha256" json:"sha256"`
	Size       int64  `db:"size_bytes" json:"size"`
	FileName   string `db:"file_name" json:"file_name"`
	// Withheld: the meeting no longer shares this document (recalled from
	// the organiser unit, say). It is served to nobody and left out of the
	// packet; only the meeting's managers see it listed, to remove or
	// replace it.
	Withheld bool `db:"withheld" json:"withheld,omitempty"`
	// Attachments are the document's files beside its main one.
	Attachments []AgendaAttachment `db:"-" json:"attachments,omitempty"`
}

// Participant is a person, or a unit whose people may attend.
type Participant struct {
	ID          int64      `db:"id" json:"id"`
	UserID      *int64     `db:"user_id" json:"user_id,omitempty"`
	UnitID      *int64     `db:"unit_id" json:"unit_id,omitempty"`
	Name        string     `db:"name" json:"name"`           // the person's, or the unit's
	UnitName    string     `db:"unit_name" json:"unit_name"` // the person's unit
	Role        string     `db:"role" json:"role"`           // member or guest
	CheckedInAt *time.Time `db:"checked_in_at" json:"checked_in_at,omitempty"`
}

// ParticipantInput adds a person (UserID) or a unit (UnitID).
type ParticipantInput struct {
	UserID int64  `json:"user_id"`
	UnitID int64  `json:"unit_id"`
	Role   string `json:"role"` // member (default) or guest
}

// Attendance is who came, who came late and who is missing.
type Attendance struct {
	Present []Attendee `json:"present"`
	Absent  []Attendee `json:"absent"` // expected people not checked in
	Late    int        `json:"late"`
}

// Attendee is a person in the attendance list.
type Attendee struct {
	UserID      int64      `db:"user_id" json:"user_id"`
	Name        string     `db:"name" json:"name"`
	UnitName    string     `db:"unit_name" json:"unit_name"`
	CheckedInAt *time.Time `db:"checked_in_at" json:"checked_in_at,omitempty"`
	Late        bool       `db:"late" json:"late"`
}

// SpeakRequest is a request to speak, in the chair's queue.
type SpeakRequest struct {
	ID          int64     `db:"id" json:"id"`
	ItemID      *int64    `db:"item_id" json:"item_id,omitempty"`
	UserID      int64     `db:"user_id" json:"user_id"`
	Name        string    `db:"name" json:"name"`
	State       string    `db:"state" json:"state"` // waiting, speaking, done, withdrawn
	RequestedAt time.Time `db:"requested_at" json:"requested_at"`
}

// Comment is a remark on an item or one of its documents.
type Comment struct {
	ID               int64     `db:"id" json:"id"`
	ItemID           *int64    `db:"item_id" json:"item_id,omitempty"`
	AgendaDocumentID *int64    `db:"agenda_document_id" json:"agenda_document_id,omitempty"`
	UserID           int64     `db:"user_id" json:"user_id"`
	Name             string    `db:"name" json:"name"`
	Body             string    `db:"body" json:"body"`
	CreatedAt        time.Time `db:"created_at" json:"created_at"`
}

// Ballot states.
const (
	BallotDraft  = "draft"
	BallotOpen   = "open"
	BallotClosed = "closed"
)

// The default options of a ballot.
var DefaultOptions = []string{"Tán thành", "Không tán thành", "Không biểu quyết"}

// BallotInput opens a ballot. Empty Options mean for / against / abstain.
type BallotInput struct {
	ItemID   int64    `json:"item_id"`
	Question string   `json:"question"`
	Options  []string `json:"options"`
	Secret   bool     `json:"secret"`
}

// Ballot is a vote on a question.
type Ballot struct {
	ID        int64          `db:"id" json:"id"`
	MeetingID int64          `db:"meeting_id" json:"meeting_id"`
	ItemID    *int64         `db:"item_id" json:"item_id,omitempty"`
	Question  string         `db:"question" json:"question"`
	Options   []string       `db:"-" json:"options"`
	Secret    bool           `db:"secret" json:"secret"`
	State     string         `db:"state" json:"state"`
	OpenedAt  *time.Time     `db:"opened_at" json:"opened_at,omitempty"`
	ClosedAt  *time.Time     `db:"closed_at" json:"closed_at,omitempty"`
	Totals    map[string]int `db:"-" json:"totals,omitempty"` // when closed (and to the chair while open)
	Voted     int            `db:"-" json:"voted"`            // how many have voted
	HeadHash  string         `db:"head_hash" json:"head_hash,omitempty"`
	MyVote    string         `db:"-" json:"my_vote,omitempty"` // open ballots: the caller's choice
	HaveVoted bool           `db:"-" json:"have_voted"`
}

// Receipt is what a voter gets back: the place of their vote in the
// ballot's chain and its hash, to check against the published chain.
type Receipt struct {
	BallotID int64     `json:"ballot_id"`
	Seq      int       `json:"seq"`
	Hash     string    `json:"hash"`
	CastAt   time.Time `json:"cast_at"`
}

// Results are a closed ballot's outcome with the record that proves it.
type Results struct {
	Ballot Ballot `json:"ballot"`
	// Votes: for an open ballot, who voted what; for a secret one, who
	// voted (Choice empty). Each with its chain hash.
	Votes []VoteRecord `json:"votes"`
	// ChainOK says the chain recomputes from its first vote to the head
	// hash recorded at close, and the totals match the votes.
	ChainOK bool `json:"chain_ok"`
}

// VoteRecord is one link of a ballot's chain.
type VoteRecord struct {
	Seq      int       `db:"seq" json:"seq"`
	UserID   int64     `db:"user_id" json:"user_id"`
	Name     string    `db:"name" json:"name"`
	Choice   string    `db:"choice" json:"choice,omitempty"`
	CastAt   time.Time `db:"cast_at" json:"cast_at"`
	PrevHash string    `db:"prev_hash" json:"prev_hash"`
	Hash     string    `db:"hash" json:"hash"`
}

// Event is a change every open screen of the meeting should show at once.
type Event struct {
	MeetingID int64     `json:"meeting_id"`
	Kind      EventKind `json:"kind"`
	Revision  int       `json:"revision"`
	BallotID  int64     `json:"ballot_id,omitempty"`
	// UserID, with kind "removed": the person who lost access; their
	// streams are closed.
	UserID int64 `json:"user_id,omitempty"`
}
