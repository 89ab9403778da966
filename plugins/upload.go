package plugins

import (
	"context"
	"errors"
	"fmt"
	"io"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gisiaas/gisiaas/core"
	"github.com/gisiaas/gisiaas/plugins/internal/convert"
	pb "github.com/gisiaas/gisiaas/plugins/proto/driverpb"
)

// uploadChunkSize is the data of one UploadImage message. 64 KiB keeps
// each message far below gRPC's 4 MiB default limit and the memory of an
// upload at a few chunks in flight, whatever the image's size.
const uploadChunkSize = 64 << 10

// UploadImage sends the header, then the data chunk by chunk as it is
// read: the image is never held whole on either side, and gRPC's flow
// control stops reading the source while the driver is not consuming.
func (c *Client) UploadImage(ctx context.Context, id string, opts core.ImageUpload, data io.Reader) (core.Image, error) {
	const op = "UploadImage"
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the stream on every early return
	stream, err := c.rpc.UploadImage(ctx)
	if err != nil {
		return core.Image{}, c.fail(ctx, op, err)
	}
	send := func(m *pb.UploadImageRequest) bool {
		// io.EOF: the driver answered before taking all the data (an
		// error, or it needed no more); CloseAndRecv reads its answer.
		return stream.Send(m) == nil
	}
	if send(&pb.UploadImageRequest{Part: &pb.UploadImageRequest_Header{Header: &pb.UploadImageHeader{
		Id: id, Upload: convert.ImageUploadToProto(opts)}}}) {
		for {
			// A fresh buffer per chunk: gRPC may still hold the previous
			// message after Send returns.
			buf := make([]byte, uploadChunkSize)
			n, rerr := io.ReadFull(data, buf)
			if n > 0 && !send(&pb.UploadImageRequest{Part: &pb.UploadImageRequest_Chunk{Chunk: buf[:n]}}) {
				break
			}
			if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
				break
			}
			if rerr != nil {
				// The driver's reader fails with this text, as an
				// in-process driver's would with the error itself.
				send(&pb.UploadImageRequest{Part: &pb.UploadImageRequest_Abort{Abort: rerr.Error()}})
				break
			}
		}
	}
	img, err := stream.CloseAndRecv()
	if err != nil {
		return core.Image{}, c.fail(ctx, op, err)
	}
	return convert.ImageFromProto(img), nil
}

// UploadImage hands the driver a reader over the stream's chunks.
func (s *server) UploadImage(stream pb.Driver_UploadImageServer) (err error) {
	defer recovered(s.name, "UploadImage", &err)
	d, err := s.driver()
	if err != nil {
		return err
	}
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	hdr := first.GetHeader()
	if hdr == nil {
		return status.Error(codes.InvalidArgument, "UploadImage: the first message must be the header")
	}
	r := &chunkReader{recv: stream.Recv}
	img, err := d.UploadImage(stream.Context(), hdr.Id, convert.ImageUploadFromProto(hdr.Upload), r)
	if err != nil {
		if stream.Context().Err() != nil {
			return status.FromContextError(stream.Context().Err()).Err()
		}
		return errorToStatus(err)
	}
	return stream.SendAndClose(convert.ImageToProto(img))
}

// errUploadProtocol is a message out of order in an upload.
var errUploadProtocol = errors.New("upload stream: unexpected message")

// chunkReader is an io.Reader over the chunks of an upload stream; it holds
// at most one chunk.
type chunkReader struct {
	recv func() (*pb.UploadImageRequest, error)
	buf  []byte
	err  error
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		m, err := r.recv()
		if err != nil {
			if err != io.EOF {
				err = fmt.Errorf("image data stream broke: %w", err)
			}
			r.err = err
			continue
		}
		switch part := m.Part.(type) {
		case *pb.UploadImageRequest_Chunk:
			r.buf = part.Chunk
		case *pb.UploadImageRequest_Abort:
			r.err = fmt.Errorf("reading the image data: %s", part.Abort)
		default:
			r.err = errUploadProtocol
		}
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}
