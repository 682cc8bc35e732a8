package web

import "github.com/hcm-edu/vanban/internal/httpx"

// route is a line of the table: an httpx.Route declared here, so that
// the lines need no field names.
type route httpx.Route

// Routes is the route table of the pages and forms.
func (s *Server) Routes() []httpx.Route {
	table := []route{
		{"GET", "/", "", false, false, s.home},
		{"GET", "/login", "", false, false, s.loginPage},
		{"POST", "/login", "", false, false, s.loginSubmit},
		{"POST", "/logout", "", true, false, s.logoutSubmit},
		{"GET", "/documents", "", true, false, s.documentsPage},
		{"GET", "/documents/new", "", true, false, s.newDocumentPage},
		{"POST", "/documents", "", true, true, s.createDocumentSubmit},
		{"POST", "/documents/sign-batch", "", true, false, s.signBatchConfirm},
		{"POST", "/documents/sign-batch/confirm", "", true, false, s.signBatchSubmit},
		{"GET", "/documents/:id", "", true, false, s.documentPage},
		{"POST", "/documents/:id/sign", "", true, false, s.signSubmit},
		{"POST", "/documents/:id/seal", "", true, false, s.sealSubmit},
		{"POST", "/documents/:id/sign/confirm", "", true, false, s.signConfirm},
		{"POST", "/documents/:id/seal/confirm", "", true, false, s.sealConfirm},
		{"POST", "/documents/:id/register/confirm", "", true, false, s.registerConfirm},
		{"POST", "/documents/:id/issue/confirm", "", true, false, s.issueConfirm},
		{"POST", "/inbox/:id/relay/confirm", "", true, false, s.relayConfirm},
		{"GET", "/verify", "", true, false, s.verifyPage},
		{"POST", "/verify", "", true, true, s.verifySubmit},
		{"GET", "/settings", "", true, false, s.settingsPage},
		{"GET", "/settings/authorities", "", true, false, s.authoritiesPage},
		{"POST", "/settings/authorities", "", true, false, s.grantAuthoritySubmit},
		{"POST", "/settings/authorities/:id/revoke", "", true, false, s.revokeAuthoritySubmit},
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
		{"POST", "/documents/:id/attachments", "", true, true, s.addAttachmentSubmit},
		{"POST", "/documents/:id/attachments/:attachment/remove", "", true, false, s.removeAttachmentSubmit},
		{"POST", "/documents/:id/attachments/:attachment/move", "", true, false, s.moveAttachmentSubmit},
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
		{"GET", "/meetings/:id/packet", "", true, false, s.meetingPacket},
		{"GET", "/meetings/:id/documents/:doc", "", true, false, s.viewMeetingDocument},
		{"POST", "/meetings/:id/status", "", true, false, s.meetingStatusSubmit},
		{"POST", "/meetings/:id/items", "", true, false, s.addItemSubmit},
		{"POST", "/meetings/:id/items/:item/move", "", true, false, s.moveItemSubmit},
		{"POST", "/meetings/:id/items/:item/documents", "", true, false, s.attachDocumentSubmit},
		{"POST", "/meetings/:id/items/:item/files", "", true, true, s.uploadFileSubmit},
		{"POST", "/meetings/:id/agenda-documents/:doc/remove", "", true, false, s.removeAgendaDocSubmit},
		{"POST", "/meetings/:id/agenda-documents/:doc/replace", "", true, false, s.replaceAgendaDocSubmit},
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
	routes := make([]httpx.Route, len(table))
	for i, r := range table {
		routes[i] = httpx.Route(r)
	}
	return routes
}
