import qrcode
import qrcode.image.svg


def svg(data):
    """A QR code as inline SVG text (no image library, no file)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    return image.to_string(encoding="unicode")
