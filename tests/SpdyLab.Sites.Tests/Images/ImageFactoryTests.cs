using SpdyLab.Sites.Images;

namespace SpdyLab.Sites.Tests.Images;

public class ImageFactoryTests
{
    [TestCase(ImageFormat.Png, 120)]
    [TestCase(ImageFormat.Png, 300)]
    [TestCase(ImageFormat.Png, 9000)]
    [TestCase(ImageFormat.Gif, 43)]
    [TestCase(ImageFormat.Gif, 47)]
    [TestCase(ImageFormat.Gif, 1000)]
    [TestCase(ImageFormat.Gif, 70000)]
    [TestCase(ImageFormat.Jpeg, 700)]
    [TestCase(ImageFormat.Jpeg, 25000)]
    [TestCase(ImageFormat.Jpeg, 200000)]
    public void Create_TargetSize_IsExactAndDecodes(ImageFormat format, int size)
    {
        var (bytes, width, height) = ImageFactory.Create(format, size, 64, 48, seed: 3);
        Assert.That(bytes, Has.Length.EqualTo(size));
        Assert.That(ImageValidator.Validate(ImageFactory.ContentType(format), bytes), Is.EqualTo((width, height)));
    }

    [Test]
    public void Create_OnePixelGif_IsTheClassic43ByteTrackingPixel()
    {
        var (bytes, width, height) = ImageFactory.Create(ImageFormat.Gif, 43, 1, 1, seed: 0);
        Assert.That((bytes.Length, width, height), Is.EqualTo((43, 1, 1)));
        Assert.That(ImageValidator.Gif(bytes), Is.EqualTo((1, 1)));
    }

    [Test]
    public void Gif_LargePicture_LzwTableResetsStillDecode()
    {
        // 4 colours over 300x200 fills the 4096-entry LZW table several times.
        var bytes = GifEncoder.Encode(300, 200, [(0, 0, 0), (255, 0, 0), (0, 255, 0), (0, 0, 255)], (x, y) => (byte)((x * 7 + y * 13 + x * y) % 4));
        Assert.That(ImageValidator.Gif(bytes), Is.EqualTo((300, 200)));
    }

    [Test]
    public void Png_CorruptedByte_FailsCrc()
    {
        var (bytes, _, _) = ImageFactory.Create(ImageFormat.Png, 500, 10, 10, 1);
        bytes[20] ^= 0xFF;
        Assert.Throws<InvalidDataException>(() => ImageValidator.Png(bytes));
    }

    [Test]
    public void Jpeg_TruncatedData_IsRejected()
    {
        var (bytes, _, _) = ImageFactory.Create(ImageFormat.Jpeg, 3000, 64, 64, 1);
        Assert.Catch(() => ImageValidator.Jpeg(bytes[..^40]));
    }
}
