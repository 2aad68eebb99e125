using System.Reflection;
using System.Reflection.Emit;

namespace Wharf.Architecture.Tests;

/// <summary>
/// Handlers reach a partition only through <c>Wharf.Replication.Partition</c> (design §7, "a narrow door into a
/// partition"): no type in <c>Wharf.Server.Handlers</c> — nor a lambda or async state machine nested in one — may
/// name the storage layer's log types in a field, a signature, a local or an instruction.
/// </summary>
public class PartitionDoorTests
{
    private static readonly string[] Forbidden = ["Wharf.Storage.Log", "Wharf.Storage.LogManager", "Wharf.Storage.LogSegment"];

    private static readonly Dictionary<short, OpCode> OpCodes = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    [Fact]
    public void Handlers_NeverTouchTheLogDirectly()
    {
        var server = Assembly.Load("Wharf.Server");
        var handlers = server.GetTypes().Where(t => t.Namespace == "Wharf.Server.Handlers").ToList();
        Assert.NotEmpty(handlers);

        var uses = handlers.SelectMany(LogUses).Distinct().ToList();

        Assert.True(uses.Count == 0, "Handlers use the log directly (go through Partition):\n" + string.Join("\n", uses));
    }

    [Fact]
    public void TheCheck_SeesALogUseInIl()
    {
        // The checker itself must be able to fail: this type calls Log members on purpose.
        Assert.NotEmpty(LogUses(typeof(LogUser)));
    }

    private static IEnumerable<string> LogUses(Type type)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var field in type.GetFields(all).Where(f => IsForbidden(f.FieldType)))
        {
            yield return $"{type.FullName}.{field.Name}: field of type {field.FieldType}";
        }

        foreach (var method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
        {
            var signature = method.GetParameters().Select(p => p.ParameterType).Append((method as MethodInfo)?.ReturnType ?? typeof(void));
            if (signature.Any(IsForbidden))
            {
                yield return $"{type.FullName}.{method.Name}: signature names a log type";
            }

            var body = method.GetMethodBody();
            if (body is null)
            {
                continue;
            }

            if (body.LocalVariables.Any(l => IsForbidden(l.LocalType)))
            {
                yield return $"{type.FullName}.{method.Name}: local of a log type";
            }

            foreach (var member in Operands(method, body.GetILAsByteArray()!))
            {
                if (member is Type t && IsForbidden(t) || member is MemberInfo { DeclaringType: { } declaring } && IsForbidden(declaring))
                {
                    yield return $"{type.FullName}.{method.Name}: uses {member.DeclaringType}.{member.Name}";
                }
            }
        }
    }

    /// <summary>The members and types that the method's instructions name (call, field access, type tokens).</summary>
    private static IEnumerable<MemberInfo> Operands(MethodBase method, byte[] il)
    {
        var module = method.Module;
        var typeArguments = method.DeclaringType?.IsGenericType == true ? method.DeclaringType.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        var position = 0;
        while (position < il.Length)
        {
            var value = (short)il[position++];
            if (value == 0xFE)
            {
                value = (short)(0xFE00 | il[position++]);
            }

            var opCode = OpCodes[value];
            switch (opCode.OperandType)
            {
                case OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok:
                    var token = BitConverter.ToInt32(il, position);
                    position += 4;
                    MemberInfo? member = null;
                    try
                    {
                        member = module.ResolveMember(token, typeArguments, methodArguments);
                    }
                    catch (ArgumentException)
                    {
                        // A token in a generic context this walk cannot bind; such tokens never name a log type here.
                    }

                    if (member is not null)
                    {
                        yield return member;
                    }

                    break;
                case OperandType.InlineSwitch:
                    position += 4 + (4 * BitConverter.ToInt32(il, position));
                    break;
                default:
                    position += OperandSize(opCode.OperandType);
                    break;
            }
        }
    }

    private static int OperandSize(OperandType operand) => operand switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        _ => 4,
    };

    private static bool IsForbidden(Type type) =>
        Forbidden.Contains(type.FullName)
        || type.HasElementType && IsForbidden(type.GetElementType()!)
        || type.IsGenericType && !type.IsGenericTypeDefinition && type.GetGenericArguments().Any(IsForbidden);

    private static class LogUser
    {
        public static long Start(Wharf.Storage.LogManager logs) => logs.GetLog(new Wharf.Common.TopicPartition("t", 0))!.LogStartOffset;
    }
}
