package api

import (
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
)

// route is one endpoint. Every API route carries the operationId it has in
// the OpenAPI document; a test checks the two agree.
type route struct {
	method, path, operationID string
	auth                      bool // requires a logged-in user
	upload                    bool // streams a file body
	handler                   fiber.Handler
}

func (s *Server) table() []route {
	return []route{
		// Operations.
		{"GET", "/healthz", "", false, false, s.healthz},
		{"GET", "/readyz", "", false, false, s.readyz},
		{"GET", "/metrics", "", false, false, s.metricsHandler},

		// JSON API.
		{"GET", "/api/v1/openapi.json", "getOpenAPI", false, false, s.openAPI},
		{"POST", "/api/v1/auth/login", "login", false, false, s.apiLogin},
		{"POST", "/api/v1/auth/logout", "logout", true, false, s.apiLogout},
		{"GET", "/api/v1/me", "getMe", true, false, s.getMe},
		{"GET", "/api/v1/units", "listUnits", true, false, s.listUnits},
		{"GET", "/api/v1/units/:id", "getUnit", true, false, s.getUnit},
		{"GET", "/api/v1/vocabulary", "getVocabulary", true, false, s.getVocabulary},
		{"GET", "/api/v1/documents", "listDocuments", true, false, s.listDocuments},
		{"POST", "/api/v1/documents", "createDocument", true, true, s.createDocument},
		{"GET", "/api/v1/documents/:id", "getDocument", true, false, s.getDocument},
		{"GET", "/api/v1/documents/:id/versions/:version/download", "downloadDocumentVersion", true, false, s.downloadVersion},
		{"GET", "/api/v1/documents/:id/versions/:version/link", "getDocumentVersionLink", true, false, s.versionLink},
		{"GET", "/api/v1/documents/:id/versions/:version/verification", "getVerification", true, false, s.getVerification},
		{"GET", "/api/v1/documents/:id/signatures", "listDocumentSignatures", true, false, s.listSignatures},
		{"POST", "/api/v1/documents/:id/sign", "signDocument", true, false, s.signDocument},
		{"POST", "/api/v1/documents/:id/seal", "sealDocument", true, false, s.sealDocument},
		{"POST", "/api/v1/verify", "verifyPDF", true, true, s.verifyPDF},
		{"PUT", "/api/v1/me/signature-image", "setMySignatureImage", true, true, s.setMySignatureImage},
		{"PUT", "/api/v1/units/:id/seal-image", "setUnitSealImage", true, true, s.setUnitSealImage},
		{"POST", "/api/v1/documents/:id/register", "registerDocument", true, false, s.registerDocument},
		{"POST", "/api/v1/documents/:id/issue", "issueDocument", true, false, s.issueDocument},
		{"GET", "/api/v1/documents/:id/deliveries", "listDeliveries", true, false, s.listDeliveries},
		{"POST", "/api/v1/documents/:id/recall", "recallDocument", true, false, s.recallDocument},
		{"GET", "/api/v1/documents/:id/history", "getDocumentHistory", true, false, s.documentHistory},
		{"GET", "/api/v1/inbox", "listInbox", true, false, s.listInbox},
		{"GET", "/api/v1/inbox/:id", "getDelivery", true, false, s.getDelivery},
		{"POST", "/api/v1/inbox/:id/accept", "acceptDelivery", true, false, s.acceptDelivery},
		{"POST", "/api/v1/inbox/:id/refuse", "refuseDelivery", true, false, s.refuseDelivery},
		{"POST", "/api/v1/inbox/:id/assign", "assignDelivery", true, false, s.assignDelivery},
		{"POST", "/api/v1/inbox/:id/status", "updateDeliveryStatus", true, false, s.updateDeliveryStatus},
		{"POST", "/api/v1/inbox/:id/relay", "relayDocument", true, false, s.relayDocument},
		{"POST", "/api/v1/inbox/:id/recall-answer", "answerRecall", true, false, s.answerRecall},
		{"GET", "/api/v1/unit-groups", "listUnitGroups", true, false, s.listUnitGroups},
		{"POST", "/api/v1/unit-groups", "saveUnitGroup", true, false, s.saveUnitGroup},
		{"GET", "/api/v1/registers/:kind", "exportRegister", true, false, s.exportRegister},
		{"GET", "/api/v1/indicators", "getIndicators", true, false, s.getIndicators},
		{"GET", "/api/v1/notifications", "listNotifications", true, false, s.listNotifications},
		{"POST", "/api/v1/notifications/read", "markNotificationsRead", true, false, s.markNotificationsRead},
		{"GET", "/api/v1/documents/:id/edxml", "exportEdxmlPackage", true, false, s.exportEdxml},
		{"POST", "/api/v1/edxml/packages", "importEdxmlPackage", true, true, s.importEdxml},
		{"GET", "/api/v1/inbox/:id/edxml-status", "exportEdxmlStatus", true, false, s.exportEdxmlStatus},
		{"POST", "/api/v1/edxml/statuses", "importEdxmlStatus", true, false, s.importEdxmlStatus},
		{"GET", "/api/v1/meetings", "listMyMeetings", true, false, s.listMyMeetings},
		{"POST", "/api/v1/meetings", "createMeeting", true, false, s.createMeeting},
		{"GET", "/api/v1/meetings/:id", "getMeeting", true, false, s.getMeeting},
		{"PATCH", "/api/v1/meetings/:id", "updateMeeting", true, false, s.updateMeeting},
		{"POST", "/api/v1/meetings/:id/items", "addAgendaItem", true, false, s.addAgendaItem},
		{"PUT", "/api/v1/meetings/:id/items/order", "reorderAgenda", true, false, s.reorderAgenda},
		{"POST", "/api/v1/meetings/:id/items/:item/documents", "attachAgendaDocument", true, false, s.attachAgendaDocument},
		{"POST", "/api/v1/meetings/:id/items/:item/files", "uploadAgendaFile", true, true, s.uploadAgendaFile},
		{"POST", "/api/v1/meetings/:id/participants", "addParticipant", true, false, s.addParticipant},
		{"DELETE", "/api/v1/meetings/:id/participants/:participant", "removeParticipant", true, false, s.removeParticipant},
		{"GET", "/api/v1/meetings/:id/packet", "getMeetingPacket", true, false, s.getMeetingPacket},
		{"GET", "/api/v1/meetings/:id/documents/:doc/download", "downloadMeetingDocument", true, false, s.downloadMeetingDocument},
		{"GET", "/api/v1/meetings/:id/documents/:doc/link", "getMeetingDocumentLink", true, false, s.meetingDocumentLink},
		{"POST", "/api/v1/meetings/:id/check-in", "checkIn", true, false, s.checkIn},
		{"GET", "/api/v1/meetings/:id/attendance", "getAttendance", true, false, s.getAttendance},
		{"POST", "/api/v1/meetings/:id/speakers", "requestToSpeak", true, false, s.requestToSpeak},
		{"GET", "/api/v1/meetings/:id/speakers", "listSpeakers", true, false, s.listSpeakers},
		{"POST", "/api/v1/speakers/:id", "updateSpeaker", true, false, s.updateSpeaker},
		{"POST", "/api/v1/meetings/:id/comments", "addComment", true, false, s.addComment},
		{"GET", "/api/v1/meetings/:id/comments", "listComments", true, false, s.listComments},
		{"POST", "/api/v1/meetings/:id/ballots", "openBallot", true, false, s.openBallot},
		{"GET", "/api/v1/meetings/:id/ballots", "listBallots", true, false, s.listBallots},
		{"POST", "/api/v1/ballots/:id/votes", "castVote", true, false, s.castVote},
		{"POST", "/api/v1/ballots/:id/close", "closeBallot", true, false, s.closeBallot},
		{"GET", "/api/v1/ballots/:id/results", "getBallotResults", true, false, s.getBallotResults},
		{"POST", "/api/v1/meetings/:id/minutes", "draftMinutes", true, false, s.draftMinutes},
		{"POST", "/api/v1/meetings/:id/minutes/sign", "signMinutes", true, false, s.signMinutes},
		{"POST", "/api/v1/meetings/:id/invitation", "createInvitation", true, false, s.createInvitation},
		{"POST", "/api/v1/meetings/:id/conclusion", "setConclusion", true, false, s.setConclusion},
		{"GET", "/api/v1/meetings/:id/events", "meetingEvents", true, false, s.meetingEvents},

		// Web pages.
		{"GET", "/", "", false, false, s.home},
		{"GET", "/login", "", false, false, s.loginPage},
		{"POST", "/login", "", false, false, s.loginSubmit},
		{"POST", "/logout", "", true, false, s.logoutSubmit},
		{"GET", "/documents", "", true, false, s.documentsPage},
		{"GET", "/documents/new", "", true, false, s.newDocumentPage},
		{"POST", "/documents", "", true, true, s.createDocumentSubmit},
		{"GET", "/documents/:id", "", true, false, s.documentPage},
		{"POST", "/documents/:id/sign", "", true, false, s.signSubmit},
		{"POST", "/documents/:id/seal", "", true, false, s.sealSubmit},
		{"GET", "/verify", "", true, false, s.verifyPage},
		{"POST", "/verify", "", true, true, s.verifySubmit},
		{"GET", "/settings", "", true, false, s.settingsPage},
		{"POST", "/settings/:kind", "", true, true, s.imageSubmit},
		{"GET", "/inbox", "", true, false, s.inboxPage},
		{"GET", "/inbox/:id", "", true, false, s.deliveryPage},
		{"POST", "/inbox/:id/accept", "", true, false, s.acceptSubmit},
		{"POST", "/inbox/:id/refuse", "", true, false, s.refuseSubmit},
		{"POST", "/inbox/:id/assign", "", true, false, s.assignSubmit},
		{"POST", "/inbox/:id/status", "", true, false, s.statusSubmit},
		{"POST", "/inbox/:id/relay", "", true, false, s.relaySubmit},
		{"POST", "/inbox/:id/recall-answer", "", true, false, s.recallAnswerSubmit},
		{"POST", "/documents/:id/register", "", true, false, s.registerSubmit},
		{"POST", "/documents/:id/issue", "", true, false, s.issueSubmit},
		{"POST", "/documents/:id/recall", "", true, false, s.recallSubmit},
		{"GET", "/documents/:id/deliveries", "", true, false, s.boardPage},
		{"GET", "/registers", "", true, false, s.registersPage},
		{"GET", "/indicators", "", true, false, s.indicatorsPage},
		{"GET", "/notifications", "", true, false, s.notificationsPage},
		{"POST", "/notifications/read", "", true, false, s.markAllReadSubmit},
		{"POST", "/notifications/:id/open", "", true, false, s.openNotificationSubmit},
		{"GET", "/meetings", "", true, false, s.meetingsPage},
		{"POST", "/meetings", "", true, false, s.createMeetingSubmit},
		{"GET", "/meetings/:id", "", true, false, s.meetingPage},
		{"GET", "/meetings/:id/console", "", true, false, s.consolePage},
		{"GET", "/meetings/:id/packet", "", true, false, s.getMeetingPacket},
		{"GET", "/meetings/:id/documents/:doc", "", true, false, s.viewMeetingDocument},
		{"POST", "/meetings/:id/status", "", true, false, s.meetingStatusSubmit},
		{"POST", "/meetings/:id/items", "", true, false, s.addItemSubmit},
		{"POST", "/meetings/:id/items/:item/move", "", true, false, s.moveItemSubmit},
		{"POST", "/meetings/:id/items/:item/documents", "", true, false, s.attachDocumentSubmit},
		{"POST", "/meetings/:id/items/:item/files", "", true, true, s.uploadFileSubmit},
		{"POST", "/meetings/:id/participants", "", true, false, s.addParticipantSubmit},
		{"POST", "/meetings/:id/participants/:participant/remove", "", true, false, s.removeParticipantSubmit},
		{"POST", "/meetings/:id/check-in", "", true, false, s.checkInSubmit},
		{"POST", "/meetings/:id/speak", "", true, false, s.speakSubmit},
		{"POST", "/meetings/:id/speakers/:req", "", true, false, s.speakerSubmit},
		{"POST", "/meetings/:id/comments", "", true, false, s.commentSubmit},
		{"POST", "/meetings/:id/ballots", "", true, false, s.openBallotSubmit},
		{"POST", "/meetings/:id/ballots/:ballot/vote", "", true, false, s.voteSubmit},
		{"POST", "/meetings/:id/ballots/:ballot/close", "", true, false, s.closeBallotSubmit},
		{"POST", "/meetings/:id/minutes", "", true, false, s.minutesSubmit},
		{"POST", "/meetings/:id/minutes/sign", "", true, false, s.signMinutesSubmit},
		{"POST", "/meetings/:id/invitation", "", true, false, s.invitationSubmit},
		{"POST", "/meetings/:id/conclusion", "", true, false, s.conclusionSubmit},
	}
}

func (s *Server) routes() {
	s.app.Use(recover.New())
	s.app.Use(s.begin)
	s.app.Use(s.identify)
	s.app.Use("/static", staticHandler())
	for _, r := range s.table() {
		h := []fiber.Handler{}
		if r.upload {
			h = append(h, markUpload)
		} else {
			h = append(h, limitBody)
		}
		if r.auth {
			h = append(h, s.requireUser)
		}
		h = append(h, r.handler)
		s.app.Add(r.method, r.path, h...)
		if r.method == http.MethodGet {
			s.app.Add(http.MethodHead, r.path, h...)
		}
	}
}

func markUpload(c *fiber.Ctx) error {
	c.Locals(localsUpload, true)
	return c.Next()
}
