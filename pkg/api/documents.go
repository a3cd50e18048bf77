package api

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"time"

	"github.com/casescribe/sharing/pkg/casescribe"
	"github.com/casescribe/sharing/pkg/store"
)

// MaxDocumentSize is the largest document accepted: S3's limit for one PUT.
const MaxDocumentSize = 5 << 30

type documentJSON struct {
	ID          string     `json:"id"`
	CaseID      string     `json:"caseId"`
	Name        string     `json:"name"`
	ContentType string     `json:"contentType"`
	Size        int64      `json:"size"`
	UploadedBy  personJSON `json:"uploadedBy"`
	CreatedAt   time.Time  `json:"createdAt"`
}

func newDocumentJSON(d casescribe.Document) documentJSON {
	return documentJSON{ID: d.ID, CaseID: d.CaseID, Name: d.Name, ContentType: d.ContentType,
		Size: d.Size, UploadedBy: personJSON{ID: d.UploaderID, Name: d.UploaderName}, CreatedAt: d.CreatedAt}
}

type signedURLJSON struct {
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers"`
	ExpiresAt time.Time         `json:"expiresAt"`
}

func newSignedURLJSON(u casescribe.SignedURL) signedURLJSON {
	j := signedURLJSON{Method: u.Method, URL: u.URL, Headers: u.Header, ExpiresAt: u.ExpiresAt}
	if j.Headers == nil {
		j.Headers = map[string]string{}
	}
	return j
}

// newDocumentJSON with the URL to upload it (create) or download it (read).
type documentWithURLJSON struct {
	documentJSON
	Upload   *signedURLJSON `json:"upload,omitempty"`
	Download *signedURLJSON `json:"download,omitempty"`
}

// filesConfigured refuses a document route when no file store was given: a fault of the
// deployment, never of the request.
func (s *Server) filesConfigured() error {
	if s.files == nil {
		return fmt.Errorf("document files: no file store configured")
	}
	return nil
}

func (s *Server) listDocuments(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	cc, err := s.pathCase(r, c, contentLoad{docs: true})
	if err != nil {
		return err
	}
	items := []documentJSON{}
	for _, d := range cc.docs {
		if cc.scope.SeesDocument(d, cc.facts) {
			items = append(items, newDocumentJSON(d))
		}
	}
	writeJSON(w, http.StatusOK, newList(items, ""))
	return nil
}

type documentBody struct {
	Name        string `json:"name"`
	ContentType string `json:"contentType"`
	Size        *int64 `json:"size"`
}

// createDocument records a document and answers the URL to upload its bytes to: signed for
// exactly the declared type and size, and short-lived.
func (s *Server) createDocument(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	var body documentBody
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	name, err := validName("name", body.Name)
	if err != nil {
		return err
	}
	mediaType, params, err := mime.ParseMediaType(body.ContentType)
	if err != nil || len(params) > 0 || len(body.ContentType) > 100 {
		return casescribe.Errorf(casescribe.EINVALID, `Field "contentType" must be a media type such as "application/pdf".`)
	}
	if body.Size == nil || *body.Size < 1 || *body.Size > MaxDocumentSize {
		return casescribe.Errorf(casescribe.EINVALID, `Field "size" must be the file's size in bytes, from 1 to %d.`, int64(MaxDocumentSize))
	}
	if err := s.filesConfigured(); err != nil {
		return err
	}
	cc, err := s.pathCase(r, c, contentLoad{})
	if err != nil {
		return err
	}
	d := casescribe.Document{OrgID: c.OrgID, CaseID: cc.k.ID, ClientID: cc.k.ClientID, ID: s.newID(),
		Name: name, ContentType: mediaType, Size: *body.Size, UploaderID: c.UserID,
		UploaderName: displayName(c), CreatedAt: s.now()}
	// Signing writes nothing; the record is made only once the URL exists.
	up, err := s.files.UploadURL(r.Context(), d.FileKey(), d.ContentType, d.Size)
	if err != nil {
		return fmt.Errorf("sign upload: %w", err)
	}
	if err := s.store.CreateDocument(r.Context(), d); err != nil {
		return err
	}
	u := newSignedURLJSON(up)
	writeJSON(w, http.StatusCreated, documentWithURLJSON{documentJSON: newDocumentJSON(d), Upload: &u})
	return nil
}

// visibleDocument reads the document of the path and answers ENOTFOUND, as for an unknown id,
// when it is outside the caller's scope.
func (s *Server) visibleDocument(r *http.Request, c casescribe.Caller) (casescribe.Document, error) {
	var d casescribe.Document
	// A guest's scope may open only the documents its view's facts cite: read the facts too.
	ld := contentLoad{facts: c.Role == casescribe.RoleGuest}
	cc, _, err := s.pathItem(r, c, store.KindDocument, "documentId", ld, func(ctx context.Context, ref store.Ref) error {
		var err error
		d, err = s.store.GetDocument(ctx, c.OrgID, ref.CaseID, ref.ID)
		return err
	})
	if err != nil {
		return casescribe.Document{}, err
	}
	if !cc.scope.SeesDocument(d, cc.facts) {
		return casescribe.Document{}, casescribe.Errorf(casescribe.ENOTFOUND, "Document not found.")
	}
	return d, nil
}

// getDocument answers the document with a download URL, signed only now that access is checked.
func (s *Server) getDocument(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	if err := s.filesConfigured(); err != nil {
		return err
	}
	d, err := s.visibleDocument(r, c)
	if err != nil {
		return err
	}
	down, err := s.files.DownloadURL(r.Context(), d.FileKey(), d.Name)
	if err != nil {
		return fmt.Errorf("sign download: %w", err)
	}
	u := newSignedURLJSON(down)
	writeJSON(w, http.StatusOK, documentWithURLJSON{documentJSON: newDocumentJSON(d), Download: &u})
	return nil
}

// deleteDocument deletes the record, which ends every access, then the bytes.
func (s *Server) deleteDocument(w http.ResponseWriter, r *http.Request, c casescribe.Caller) error {
	if err := s.filesConfigured(); err != nil {
		return err
	}
	d, err := s.visibleDocument(r, c)
	if err != nil {
		return err
	}
	if err := s.store.DeleteDocument(r.Context(), d); err != nil {
		return err
	}
	s.deleteFiles(r.Context(), d.FileKey())
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deleteFiles removes document bytes whose records are already gone. Nothing can sign a URL
// for them any more, so a failure leaves only unreachable bytes; it is logged (keys only:
// ids, no names) for the operators to clean up.
func (s *Server) deleteFiles(ctx context.Context, keys ...string) {
	if len(keys) == 0 {
		return
	}
	if err := s.filesConfigured(); err != nil {
		s.log.ErrorContext(ctx, "document files left after delete", "keys", keys, "error", err.Error())
		return
	}
	if err := s.files.Delete(ctx, keys...); err != nil {
		s.log.ErrorContext(ctx, "document files left after delete", "keys", keys, "error", err.Error())
	}
}
