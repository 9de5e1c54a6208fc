using System.Security.Cryptography;

namespace SpdyLab.Interop.Tests.Support;

/// <summary>The deterministic bodies the peers serve: byte i = i % 251 (tools/peers/spdy-server.js).</summary>
public static class PeerBodies
{
    public static byte[] Bytes(int length)
    {
        var body = new byte[length];
        for (var i = 0; i < length; i++)
        {
            body[i] = (byte)(i % 251);
        }

        return body;
    }

    public static string Sha256(int length) => Convert.ToHexStringLower(SHA256.HashData(Bytes(length)));
}
