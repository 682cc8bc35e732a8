package api

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/httpx"
	"github.com/hcm-edu/vanban/meetings"
)

func (s *Server) createMeeting(c *fiber.Ctx) error {
	var in meetings.Input
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	m, err := s.meetings.Create(c.UserContext(), httpx.Principal(c), in)
	if err != nil {
		return err
	}
	c.Location(fmt.Sprintf("/api/v1/meetings/%d", m.ID))
	return c.Status(fiber.StatusCreated).JSON(m)
}

func (s *Server) updateMeeting(c *fiber.Ctx) error {
	return withIDBody(c, fiber.StatusOK, s.meetings.Update)
}

func (s *Server) getMeeting(c *fiber.Ctx) error {
	return withID(c, fiber.StatusOK, s.meetings.Get)
}

// monthRange reads from and to (YYYY-MM-DD, Vietnam time); by default the
// current month.
func monthRange(c *fiber.Ctx) (time.Time, time.Time, error) {
	now := time.Now().In(domain.VietnamTime)
	from := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, domain.VietnamTime)
	to := from.AddDate(0, 1, 0)
	var err error
	if v := c.Query("from"); v != "" {
		if from, err = time.ParseInLocation(time.DateOnly, v, domain.VietnamTime); err != nil {
			return from, to, &domain.ValidationError{Fields: map[string]string{"from": "ngày dạng YYYY-MM-DD"}}
		}
	}
	if v := c.Query("to"); v != "" {
		if to, err = time.ParseInLocation(time.DateOnly, v, domain.VietnamTime); err != nil {
			return from, to, &domain.ValidationError{Fields: map[string]string{"to": "ngày dạng YYYY-MM-DD"}}
		}
	}
	if !to.After(from) || to.Sub(from) > 400*24*time.Hour {
		return from, to, &domain.ValidationError{Fields: map[string]string{"to": "khoảng thời gian từ 1 ngày đến khoảng 1 năm"}}
	}
	return from, to, nil
}

func (s *Server) listMyMeetings(c *fiber.Ctx) error {
	from, to, err := monthRange(c)
	if err != nil {
		return err
	}
	ms, err := s.meetings.ListMine(c.UserContext(), httpx.Principal(c), from, to)
	if err != nil {
		return err
	}
	if ms == nil {
		ms = []meetings.Meeting{}
	}
	return c.JSON(fiber.Map{"items": ms})
}

func (s *Server) addAgendaItem(c *fiber.Ctx) error {
	return withIDBody(c, fiber.StatusCreated, s.meetings.AddItem)
}

func (s *Server) reorderAgenda(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	var b struct {
		Items []int64 `json:"items"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if err := s.meetings.ReorderAgenda(c.UserContext(), httpx.Principal(c), id, b.Items); err != nil {
		return err
	}
	m, err := s.meetings.Get(c.UserContext(), httpx.Principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(m)
}

func (s *Server) attachAgendaDocument(c *fiber.Ctx) error {
	id, item, err := meetingAndChild(c, "item")
	if err != nil {
		return err
	}
	var b struct {
		DocumentID int64 `json:"document_id"`
		Version    int   `json:"version"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	d, err := s.meetings.AttachDocument(c.UserContext(), httpx.Principal(c), id, item, b.DocumentID, b.Version)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(d)
}

// uploadAgendaFile takes a multipart form: title, draft ("true" for a
// draft), then the PDF in "file".
func (s *Server) uploadAgendaFile(c *fiber.Ctx) error {
	id, item, err := meetingAndChild(c, "item")
	if err != nil {
		return err
	}
	d, err := httpx.ReceiveAgendaFile(c, s.docs, s.meetings, id, item, false)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(d)
}

func (s *Server) addParticipant(c *fiber.Ctx) error {
	return withIDBody(c, fiber.StatusCreated, s.meetings.AddParticipant)
}

func (s *Server) removeParticipant(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	pid, err := httpx.PathID(c, "participant")
	if err != nil {
		return err
	}
	if err := s.meetings.RemoveParticipant(c.UserContext(), httpx.Principal(c), id, pid); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) getMeetingPacket(c *fiber.Ctx) error {
	return httpx.SendPacket(c, s.meetings)
}

func (s *Server) downloadMeetingDocument(c *fiber.Ctx) error {
	return httpx.SendMeetingDocument(c, s.meetings, "attachment")
}

func (s *Server) meetingDocumentLink(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	doc, err := httpx.PathID(c, "doc")
	if err != nil {
		return err
	}
	u, err := s.meetings.PresignDocument(c.UserContext(), httpx.Principal(c), id, doc)
	if errors.Is(err, documents.ErrNoPresign) {
		return c.JSON(fiber.Map{"url": fmt.Sprintf("/api/v1/meetings/%d/documents/%d/download", id, doc), "presigned": false})
	}
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"url": u, "presigned": true, "expires_at": time.Now().Add(s.meetings.PresignExpiry)})
}

func (s *Server) checkIn(c *fiber.Ctx) error {
	return withID(c, fiber.StatusOK, s.meetings.CheckIn)
}

func (s *Server) getAttendance(c *fiber.Ctx) error {
	return withID(c, fiber.StatusOK, s.meetings.Attendance)
}

func (s *Server) requestToSpeak(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	var b struct {
		ItemID int64 `json:"item_id"`
	}
	if len(c.Body()) > 0 {
		if err := decodeJSON(c, &b); err != nil {
			return err
		}
	}
	r, err := s.meetings.RequestToSpeak(c.UserContext(), httpx.Principal(c), id, b.ItemID)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(r)
}

func (s *Server) listSpeakers(c *fiber.Ctx) error {
	return listOf(c, s.meetings.SpeakQueue)
}

func (s *Server) updateSpeaker(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	var b struct {
		State string `json:"state"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if b.State == "withdrawn" {
		if err := s.meetings.WithdrawSpeak(c.UserContext(), httpx.Principal(c), id); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
	r, err := s.meetings.SetSpeakState(c.UserContext(), httpx.Principal(c), id, b.State)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (s *Server) addComment(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	var b struct {
		ItemID           int64  `json:"item_id"`
		AgendaDocumentID int64  `json:"agenda_document_id"`
		Body             string `json:"body"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	cm, err := s.meetings.AddComment(c.UserContext(), httpx.Principal(c), id, b.ItemID, b.AgendaDocumentID, b.Body)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(cm)
}

func (s *Server) listComments(c *fiber.Ctx) error {
	return listOf(c, s.meetings.Comments)
}

func (s *Server) openBallot(c *fiber.Ctx) error {
	return withIDBody(c, fiber.StatusCreated, s.meetings.OpenBallot)
}

func (s *Server) listBallots(c *fiber.Ctx) error {
	return listOf(c, s.meetings.Ballots)
}

func (s *Server) castVote(c *fiber.Ctx) error {
	return withIDBody(c, fiber.StatusCreated, func(ctx context.Context, p auth.Principal, id int64, b struct {
		Choice string `json:"choice"`
	}) (meetings.Receipt, error) {
		return s.meetings.CastVote(ctx, p, id, b.Choice)
	})
}

func (s *Server) closeBallot(c *fiber.Ctx) error {
	return withID(c, fiber.StatusOK, s.meetings.CloseBallot)
}

func (s *Server) getBallotResults(c *fiber.Ctx) error {
	return withID(c, fiber.StatusOK, s.meetings.Results)
}

func (s *Server) draftMinutes(c *fiber.Ctx) error {
	return withID(c, fiber.StatusCreated, func(ctx context.Context, p auth.Principal, id int64) (documentJSON, error) {
		d, err := s.meetings.DraftMinutes(ctx, p, id)
		return toJSON(d), err
	})
}

func (s *Server) signMinutes(c *fiber.Ctx) error {
	return withIDBody(c, fiber.StatusOK, func(ctx context.Context, p auth.Principal, id int64, b struct {
		VersionSHA256 string `json:"version_sha256"`
		OTP           string `json:"otp"` // second factor, when the user has enrolled
	}) (documentJSON, error) {
		d, err := s.meetings.SignMinutes(ctx, p, id, b.VersionSHA256, b.OTP)
		return toJSON(d), err
	})
}

func (s *Server) createInvitation(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.meetings.CreateInvitation(c.UserContext(), httpx.Principal(c), id)
	if err != nil {
		return err
	}
	units, err := s.meetings.InvitationRecipients(c.UserContext(), httpx.Principal(c), id)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"document": toJSON(d), "recipient_units": units})
}

func (s *Server) setConclusion(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	var b struct {
		DocumentID int64 `json:"document_id"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if err := s.meetings.SetConclusion(c.UserContext(), httpx.Principal(c), id, b.DocumentID); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// meetingEvents streams the meeting's changes as Server-Sent Events until
// the client leaves, the person loses access (the stream ends after a
// "removed" event) or the server shuts down. A comment line every 20 s
// keeps proxies from closing an idle stream.
func (s *Server) meetingEvents(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	events, cancel, err := s.meetings.Subscribe(c.UserContext(), httpx.Principal(c), id)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/event-stream; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no")
	done := s.shutdown
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer cancel()
		tick := time.NewTicker(20 * time.Second)
		defer tick.Stop()
		fmt.Fprintf(w, "retry: 3000\n: connected\n\n")
		if w.Flush() != nil {
			return
		}
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					return
				}
				b, _ := json.Marshal(ev)
				fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Kind, b)
			case <-tick.C:
				fmt.Fprintf(w, ": %s\n\n", strconv.FormatInt(time.Now().Unix(), 10))
			case <-done:
				return
			}
			if w.Flush() != nil {
				return
			}
		}
	})
	return nil
}

// removeAgendaDocument takes a document or file out of the agenda.
func (s *Server) removeAgendaDocument(c *fiber.Ctx) error {
	id, doc, err := meetingAndChild(c, "doc")
	if err != nil {
		return err
	}
	if err := s.meetings.RemoveAgendaDocument(c.UserContext(), httpx.Principal(c), id, doc); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// replaceAgendaDocument puts another document (a version of it) in the
// place of an agenda document; a new file is a removal and an upload.
func (s *Server) replaceAgendaDocument(c *fiber.Ctx) error {
	id, doc, err := meetingAndChild(c, "doc")
	if err != nil {
		return err
	}
	var b struct {
		DocumentID int64  `json:"document_id"`
		Version    int    `json:"version"`
		Title      string `json:"title"`
	}
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	d, err := s.meetings.ReplaceAgendaDocument(c.UserContext(), httpx.Principal(c), id, doc,
		meetings.Replacement{DocumentID: b.DocumentID, VersionNo: b.Version, Title: b.Title})
	if err != nil {
		return err
	}
	return c.JSON(d)
}

// meetingAndChild reads the meeting id and a child's id from the path.
func meetingAndChild(c *fiber.Ctx, child string) (int64, int64, error) {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return 0, 0, err
	}
	ch, err := httpx.PathID(c, child)
	return id, ch, err
}
