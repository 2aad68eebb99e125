using System;

namespace Wharf.Protocol.Generator;

/// <summary>A definition file that does not parse; reported as a compiler error at its line.</summary>
internal sealed class DefinitionException : Exception
{
    public DefinitionException(int line, string message)
        : base(message)
    {
        Line = line;
    }

    public int Line { get; }
}
