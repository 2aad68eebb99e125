using Wharf.Configuration;

namespace Wharf.Configuration.Tests;

public class PropertiesFileTests
{
    [Fact]
    public void Parse_SkipsCommentsAndBlankLines()
    {
        var lines = PropertiesFile.Parse("# a comment\n! another\n\n   \nnode.id=1\n  # indented comment\n");

        Assert.Equal([new PropertyLine("node.id", "1", 5)], lines);
    }

    [Theory]
    [InlineData("key=value")]
    [InlineData("key = value")]
    [InlineData("key:value")]
    [InlineData("key value")]
    [InlineData("  key   =   value   ")]
    [InlineData("key\t=\tvalue")]
    public void Parse_AcceptsEverySeparatorAndTrimsWhitespace(string line)
    {
        var parsed = Assert.Single(PropertiesFile.Parse(line));

        Assert.Equal(("key", "value"), (parsed.Key, parsed.Value));
    }

    [Fact]
    public void Parse_JoinsContinuationLines()
    {
        var parsed = Assert.Single(PropertiesFile.Parse("listeners=PLAINTEXT://a:1,\\\n    INTERNAL://b:2\n"));

        Assert.Equal("PLAINTEXT://a:1,INTERNAL://b:2", parsed.Value);
        Assert.Equal(1, parsed.LineNumber);
    }

    [Fact]
    public void Parse_WithAnEscapedBackslashAtTheEnd_DoesNotContinue()
    {
        var lines = PropertiesFile.Parse("a=c:\\\\\nb=2");

        Assert.Equal([new PropertyLine("a", "c:\\", 1), new PropertyLine("b", "2", 2)], lines);
    }

    [Fact]
    public void Parse_UnderstandsEscapes()
    {
        var parsed = Assert.Single(PropertiesFile.Parse("my\\=key=a\\tb\\u0041"));

        Assert.Equal(("my=key", "a\tbA"), (parsed.Key, parsed.Value));
    }

    [Fact]
    public void Parse_WithWindowsLineEnds_ReadsEveryLine()
    {
        Assert.Equal(2, PropertiesFile.Parse("a=1\r\nb=2\r\n").Count);
    }

    [Fact]
    public void Parse_WithAKeyAndNoValue_GivesAnEmptyValue()
    {
        Assert.Equal("", Assert.Single(PropertiesFile.Parse("etcd.connect=")).Value);
    }
}
