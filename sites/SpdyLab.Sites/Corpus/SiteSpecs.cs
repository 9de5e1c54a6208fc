namespace SpdyLab.Sites.Corpus;

public enum SiteKind { Search, Portal, Video, Social, Encyclopedia, Blog, Shop, News, Photo, Corporate }

/// <summary>
/// One site of the corpus before scaling: counts and sizes are relative weights in the site's own
/// proportions (a search page small, a portal large); the generator scales every figure so that the
/// corpus's per-page means equal PROFILE.md's. Own hosts are the site's own names (first: the page's host);
/// cookie hosts are those that receive the site's cookie (its own registrable domain, not its CDN).
/// </summary>
public sealed record SiteSpec(
    string Name, SiteKind Kind, string Title, string[] OwnHosts, string[] CookieHosts,
    int Gets, int Hosts, int Images, int Scripts, int Styles,
    double HtmlKB, double ImageKB, double ScriptKB, double CssKB, double FlashKB,
    int CookieBytes, string Server);

public static class SiteSpecs
{
    /// <summary>Twenty-five top sites of 2009 (PROFILE.md, "Sites of the period").</summary>
    public static readonly IReadOnlyList<SiteSpec> All =
    [
        new("google", SiteKind.Search, "Google", ["www.google.com", "www.gstatic.com", "clients1.google.com"], ["www.google.com", "clients1.google.com"],
            11, 3, 6, 2, 0, 28, 22, 15, 0, 0, 417, "gws"),
        new("yahoo", SiteKind.Portal, "Yahoo!", ["www.yahoo.com", "l.yimg.com", "d.yimg.com", "us.i1.yimg.com", "us.bc.yahoo.com", "row.bc.yahoo.com", "us.js2.yimg.com", "ads.yimg.com", "l1.yimg.com", "eu.yimg.com"],
            ["www.yahoo.com", "us.bc.yahoo.com", "row.bc.yahoo.com"],
            75, 12, 52, 10, 6, 130, 260, 120, 45, 20, 494, "YTS/1.17.21"),
        new("youtube", SiteKind.Video, "YouTube - Broadcast Yourself.", ["www.youtube.com", "s.ytimg.com", "i1.ytimg.com", "i2.ytimg.com", "i3.ytimg.com", "i4.ytimg.com"],
            ["www.youtube.com"],
            55, 9, 38, 7, 4, 120, 210, 110, 50, 25, 300, "Apache"),
        new("facebook", SiteKind.Social, "Welcome to Facebook!", ["www.facebook.com", "static.ak.fbcdn.net", "b.static.ak.fbcdn.net", "photos-a.ak.fbcdn.net", "external.ak.fbcdn.net"],
            ["www.facebook.com"],
            35, 5, 18, 9, 6, 40, 70, 180, 50, 0, 990, "Apache"),
        new("wikipedia", SiteKind.Encyclopedia, "Wikipedia", ["www.wikipedia.org", "upload.wikimedia.org", "bits.wikimedia.org"], [],
            20, 3, 12, 4, 3, 55, 60, 25, 20, 0, 0, "Apache"),
        new("msn", SiteKind.Portal, "MSN.com", ["www.msn.com", "stj.msn.com", "stc.msn.com", "blu.stb.s-msn.com", "col.stb.s-msn.com", "c.msn.com", "rad.msn.com", "ads1.msn.com", "b.rad.msn.com", "stb.msn.com"],
            ["www.msn.com", "c.msn.com", "rad.msn.com", "ads1.msn.com", "b.rad.msn.com"],
            70, 14, 48, 8, 4, 110, 240, 90, 30, 15, 1063, "Microsoft-IIS/6.0"),
        new("bing", SiteKind.Search, "Bing", ["www.bing.com", "ts1.mm.bing.net", "ts2.mm.bing.net", "login.live.com"], ["www.bing.com", "login.live.com"],
            18, 4, 8, 3, 1, 35, 120, 30, 8, 0, 900, "Microsoft-IIS/7.5"),
        new("blogger", SiteKind.Blog, "Official Google Blog", ["googleblog.blogspot.com", "www.blogger.com", "1.bp.blogspot.com", "2.bp.blogspot.com", "3.bp.blogspot.com", "4.bp.blogspot.com"],
            ["googleblog.blogspot.com", "www.blogger.com"],
            40, 8, 25, 6, 3, 90, 180, 60, 20, 0, 200, "GFE/2.0"),
        new("baidu", SiteKind.Search, "百度一下，你就知道", ["www.baidu.com", "passport.baidu.com"], ["www.baidu.com", "passport.baidu.com"],
            8, 2, 4, 1, 0, 10, 12, 5, 0, 0, 100, "BWS/1.0"),
        new("qq", SiteKind.Portal, "腾讯首页", ["www.qq.com", "mat1.gtimg.com", "img1.gtimg.com", "pingjs.qq.com", "adsrich.qq.com", "l.qq.com", "trace.qq.com", "img1.qq.com", "pingfore.qq.com", "dp3.qq.com", "imgcache.qq.com", "mat1.qq.com"],
            ["www.qq.com", "pingjs.qq.com", "adsrich.qq.com", "l.qq.com", "trace.qq.com", "img1.qq.com", "pingfore.qq.com", "dp3.qq.com", "imgcache.qq.com", "mat1.qq.com"],
            95, 16, 72, 10, 5, 180, 320, 70, 35, 30, 300, "squid/2.6.STABLE21"),
        new("twitter", SiteKind.Social, "Twitter: What are you doing?", ["twitter.com", "a0.twimg.com", "a1.twimg.com", "s3.amazonaws.com", "search.twitter.com"],
            ["twitter.com", "search.twitter.com"],
            30, 5, 16, 6, 4, 45, 60, 90, 30, 0, 400, "hi"),
        new("myspace", SiteKind.Social, "MySpace | a place for friends", ["www.myspace.com", "x.myspacecdn.com", "a1.ac-images.myspacecdn.com", "b.myspacecdn.com", "content.myspacecdn.com", "lads.myspace.com", "deLB.myspace.com"],
            ["www.myspace.com", "lads.myspace.com", "delb.myspace.com"],
            65, 12, 42, 11, 6, 90, 230, 130, 40, 30, 2027, "Microsoft-IIS/7.0"),
        new("amazon", SiteKind.Shop, "Amazon.com: Online Shopping", ["www.amazon.com", "g-ecx.images-amazon.com", "ecx.images-amazon.com", "z-ecx.images-amazon.com", "fls-na.amazon.com", "ad.amazon.com"],
            ["www.amazon.com", "fls-na.amazon.com"],
            85, 8, 66, 8, 4, 200, 330, 90, 30, 0, 700, "Server"),
        new("ebay", SiteKind.Shop, "eBay - New & used electronics, cars, apparel", ["www.ebay.com", "pics.ebaystatic.com", "include.ebaystatic.com", "thumbs.ebaystatic.com", "rover.ebay.com", "srx.main.ebayrtm.com", "q.ebaystatic.com", "p.ebaystatic.com"],
            ["www.ebay.com", "rover.ebay.com"],
            60, 10, 40, 8, 5, 120, 200, 100, 35, 0, 1038, "Microsoft-IIS/5.0"),
        new("yahoo.co.jp", SiteKind.Portal, "Yahoo! JAPAN", ["www.yahoo.co.jp", "k.yimg.jp", "i.yimg.jp", "ai.yimg.jp", "b.yjtag.jp", "yjaxc.yahoo.co.jp", "dailynews.yahoo.co.jp"],
            ["www.yahoo.co.jp", "yjaxc.yahoo.co.jp", "dailynews.yahoo.co.jp"],
            50, 8, 38, 4, 3, 80, 150, 40, 20, 0, 300, "Apache"),
        new("163", SiteKind.Portal, "网易", ["www.163.com", "img1.cache.netease.com", "img2.cache.netease.com", "img3.cache.netease.com", "img4.cache.netease.com", "analytics.163.com", "adgeo.163.com", "g.163.com", "img.ph.126.net", "news.163.com", "cimg.163.com"],
            ["www.163.com", "analytics.163.com", "adgeo.163.com", "g.163.com", "news.163.com", "cimg.163.com"],
            110, 17, 85, 12, 4, 300, 400, 90, 30, 40, 250, "nginx"),
        new("sina", SiteKind.Portal, "新浪首页", ["www.sina.com.cn", "i0.sinaimg.cn", "i1.sinaimg.cn", "i2.sinaimg.cn", "i3.sinaimg.cn", "d1.sina.com.cn", "d2.sina.com.cn", "d3.sina.com.cn", "beacon.sina.com.cn", "int.dpool.sina.com.cn"],
            ["www.sina.com.cn", "d1.sina.com.cn", "d2.sina.com.cn", "d3.sina.com.cn", "beacon.sina.com.cn", "int.dpool.sina.com.cn"],
            100, 18, 75, 14, 5, 350, 380, 100, 30, 45, 300, "Apache/2.0.54 (Unix)"),
        new("yandex", SiteKind.Search, "Яндекс", ["www.yandex.ru", "yandex.st", "mc.yandex.ru", "export.yandex.ru", "kiks.yandex.ru"],
            ["www.yandex.ru", "mc.yandex.ru", "export.yandex.ru", "kiks.yandex.ru"],
            25, 5, 16, 3, 2, 50, 50, 30, 15, 0, 300, "nginx"),
        new("mail.ru", SiteKind.Portal, "Mail.Ru: почта, поиск в интернете, новости, игры", ["www.mail.ru", "img.mail.ru", "img0.mail.ru", "img1.imgsmail.ru", "r.mail.ru", "top3.mail.ru", "rs.mail.ru"],
            ["www.mail.ru", "img.mail.ru", "img0.mail.ru", "r.mail.ru", "top3.mail.ru", "rs.mail.ru"],
            45, 9, 32, 5, 3, 90, 150, 50, 25, 10, 300, "Apache"),
        new("aol", SiteKind.Portal, "AOL.com - Welcome to AOL", ["www.aol.com", "o.aolcdn.com", "portal.aolcdn.com", "www.aolcdn.com", "cdn.atwola.com", "o.sa.aol.com", "at.atwola.com"],
            ["www.aol.com", "o.sa.aol.com"],
            80, 15, 55, 12, 6, 130, 260, 140, 45, 20, 494, "Apache"),
        new("cnn", SiteKind.News, "CNN.com - Breaking News, U.S., World, Weather, Entertainment & Video News", ["www.cnn.com", "i.cdn.turner.com", "i2.cdn.turner.com", "z.cdn.turner.com", "svcs.cnn.com", "ads.cnn.com", "gdyn.cnn.com"],
            ["www.cnn.com", "svcs.cnn.com", "ads.cnn.com", "gdyn.cnn.com"],
            95, 16, 68, 14, 5, 110, 280, 130, 45, 25, 400, "Apache"),
        new("bbc", SiteKind.News, "BBC - Homepage", ["www.bbc.co.uk", "news.bbcimg.co.uk", "static.bbc.co.uk", "node1.bbcimg.co.uk", "sa.bbc.co.uk"],
            ["www.bbc.co.uk", "static.bbc.co.uk", "sa.bbc.co.uk"],
            60, 9, 42, 9, 5, 90, 220, 90, 40, 0, 200, "Apache"),
        new("flickr", SiteKind.Photo, "Welcome to Flickr - Photo Sharing", ["www.flickr.com", "l.yimg.com", "farm3.static.flickr.com", "farm4.static.flickr.com", "farm5.static.flickr.com", "geo.yahoo.com"],
            ["www.flickr.com"],
            50, 7, 38, 5, 3, 60, 300, 60, 25, 0, 400, "Apache/2.0.52"),
        new("microsoft", SiteKind.Corporate, "Microsoft Corporation", ["www.microsoft.com", "i.microsoft.com", "i2.microsoft.com", "i3.microsoft.com", "c.microsoft.com", "m.webtrends.com"],
            ["www.microsoft.com", "c.microsoft.com"],
            45, 8, 30, 8, 4, 60, 160, 90, 35, 15, 500, "Microsoft-IIS/7.5"),
        new("wordpress", SiteKind.Blog, "WordPress.com — Get a Free Blog Here", ["wordpress.com", "s.wordpress.com", "s0.wp.com", "s1.wp.com", "s2.wp.com", "stats.wordpress.com", "0.gravatar.com"],
            ["wordpress.com", "stats.wordpress.com"],
            35, 6, 20, 7, 5, 50, 120, 60, 35, 0, 300, "nginx"),
    ];

    /// <summary>Third-party hosts of the period, each with what it serves.</summary>
    public static readonly IReadOnlyList<(string Host, ThirdPartyRole Role, int CookieBytes)> ThirdParties =
    [
        ("www.google-analytics.com", ThirdPartyRole.Analytics, 0),
        ("ad.doubleclick.net", ThirdPartyRole.Ads, 46),
        ("b.scorecardresearch.com", ThirdPartyRole.Beacon, 38),
        ("pagead2.googlesyndication.com", ThirdPartyRole.Ads, 180),
        ("s0.2mdn.net", ThirdPartyRole.AdImages, 0),
        ("view.atdmt.com", ThirdPartyRole.Ads, 68),
        ("pixel.quantserve.com", ThirdPartyRole.Beacon, 52),
        ("edge.quantserve.com", ThirdPartyRole.Analytics, 0),
        ("ad.yieldmanager.com", ThirdPartyRole.Ads, 120),
        ("secure-us.imrworldwide.com", ThirdPartyRole.Beacon, 40),
        ("js.revsci.net", ThirdPartyRole.Analytics, 90),
        ("pix04.revsci.net", ThirdPartyRole.Beacon, 90),
        ("speed.pointroll.com", ThirdPartyRole.Ads, 64),
        ("statse.webtrendslive.com", ThirdPartyRole.Beacon, 60),
        ("ad.insightexpressai.com", ThirdPartyRole.Beacon, 44),
        ("content.dl-rms.com", ThirdPartyRole.Analytics, 40),
        ("cdn.doubleverify.com", ThirdPartyRole.Analytics, 0),
        ("tags.bluekai.com", ThirdPartyRole.Beacon, 80),
    ];
}

public enum ThirdPartyRole
{
    /// <summary>A script that inserts a 1x1 beacon image from the same host.</summary>
    Analytics,
    /// <summary>A script that inserts ad images (and an iframe or a redirect) from ad hosts.</summary>
    Ads,
    /// <summary>Only a 1x1 beacon image, inserted by one of the site's scripts.</summary>
    Beacon,
    /// <summary>Only ad images, inserted by an ad script.</summary>
    AdImages,
}
