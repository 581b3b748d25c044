package dev.cairn.update;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cairn.InvalidUpdateException;
import dev.cairn.json.Json;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * MongoDB's update operators, case by case from their documentation: a document, an update, and the
 * document it gives or the error it raises. JSON is written with single quotes here.
 */
class UpdateOperatorsTest {
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-11-22T10:00:00Z"), ZoneOffset.UTC);

  private static ObjectNode json(String singleQuoted) {
    return Json.parseObject(singleQuoted.replace('\'', '"'));
  }

  static Stream<Arguments> results() {
    return Stream.of(
        // $set
        row("{'a':1}", "{'$set':{'b':2}}", "{'a':1,'b':2}"),
        row("{}", "{'$set':{'a.b.c':1}}", "{'a':{'b':{'c':1}}}"),
        row("{'a':[1,2,3]}", "{'$set':{'a.1':9}}", "{'a':[1,9,3]}"),
        row("{'a':[1]}", "{'$set':{'a.3':9}}", "{'a':[1,null,null,9]}"),
        row("{'a':[{'x':1},{'x':2}]}", "{'$set':{'a.$[].x':0}}", "{'a':[{'x':0},{'x':0}]}"),
        row("{'a':{'b':1}}", "{'$set':{'a':{'c':[1,{'d':2}]}}}", "{'a':{'c':[1,{'d':2}]}}"),
        row("{'a':1}", "{'$set':{}}", "{'a':1}"),
        // $unset
        row("{'a':1,'b':2}", "{'$unset':{'a':''}}", "{'b':2}"),
        row("{'b':2}", "{'$unset':{'x.y':''}}", "{'b':2}"),
        row("{'a':[1,2,3]}", "{'$unset':{'a.1':''}}", "{'a':[1,null,3]}"),
        row("{'a':null}", "{'$unset':{'a.b':''}}", "{'a':null}"), // nothing to remove through null
        row("{'a':{'b':null}}", "{'$set':{'a.b':1}}", "{'a':{'b':1}}"), // a null itself is replaced
        row("{'a':[{'x':1,'y':1},{'x':2}]}", "{'$unset':{'a.$[].x':''}}", "{'a':[{'y':1},{}]}"),
        // $inc
        row("{'n':1}", "{'$inc':{'n':2}}", "{'n':3}"),
        row("{}", "{'$inc':{'n':-2}}", "{'n':-2}"),
        row("{'n':1}", "{'$inc':{'n':0.5}}", "{'n':1.5}"),
        row("{'g':[1,2]}", "{'$inc':{'g.$[]':10}}", "{'g':[11,12]}"),
        row("{'m':{'k':1}}", "{'$inc':{'m.k':1,'m.j':5}}", "{'m':{'k':2,'j':5}}"),
        // $mul
        row("{'p':10}", "{'$mul':{'p':2}}", "{'p':20}"),
        row("{}", "{'$mul':{'p':5}}", "{'p':0}"),
        row("{'p':1.5}", "{'$mul':{'p':2}}", "{'p':3.0}"),
        // $min, $max
        row("{'lo':5}", "{'$min':{'lo':3}}", "{'lo':3}"),
        row("{'lo':5}", "{'$min':{'lo':7}}", "{'lo':5}"),
        row("{'hi':5}", "{'$max':{'hi':7}}", "{'hi':7}"),
        row("{}", "{'$max':{'hi':7}}", "{'hi':7}"),
        row("{'v':'a'}", "{'$min':{'v':1}}", "{'v':1}"),
        row("{'v':null}", "{'$max':{'v':0}}", "{'v':0}"),
        // objects in BSON's order, pair by pair: type, then name, then value; fewer pairs first
        // (https://www.mongodb.com/docs/manual/reference/bson-type-comparison-order/#objects)
        row("{'o':{'b':1}}", "{'$min':{'o':{'a':2}}}", "{'o':{'a':2}}"),
        row("{'o':{'a':2}}", "{'$max':{'o':{'b':1}}}", "{'o':{'b':1}}"),
        row("{'o':{'a':1}}", "{'$max':{'o':{'a':'x'}}}", "{'o':{'a':'x'}}"),
        row("{'o':{'b':'x'}}", "{'$min':{'o':{'a':{}}}}", "{'o':{'b':'x'}}"),
        row("{'o':{'a':1}}", "{'$max':{'o':{'a':1,'b':0}}}", "{'o':{'a':1,'b':0}}"),
        // strings by code point, as UTF-8 bytes compare (simple collation)
        row("{'v':'\uff5a'}", "{'$min':{'v':'\ud83d\ude00'}}", "{'v':'\uff5a'}"),
        // $rename
        row("{'a':1}", "{'$rename':{'a':'b'}}", "{'b':1}"),
        row("{'n':{'first':'x'}}", "{'$rename':{'n.first':'fname'}}", "{'n':{},'fname':'x'}"),
        row("{'a':1}", "{'$rename':{'x':'y'}}", "{'a':1}"),
        row("{'a':1,'b':2}", "{'$rename':{'a':'b'}}", "{'b':1}"),
        row("{'a':1}", "{'$rename':{'a':'c.d'}}", "{'c':{'d':1}}"),
        // $currentDate
        row(
            "{}",
            "{'$currentDate':{'d':true,'t':{'$type':'timestamp'},'e':{'$type':'date'}}}",
            "{'d':'2026-11-22T10:00:00Z','t':1795341600000,'e':'2026-11-22T10:00:00Z'}"),
        // $push
        row("{'a':[1]}", "{'$push':{'a':2}}", "{'a':[1,2]}"),
        row("{}", "{'$push':{'a':2}}", "{'a':[2]}"),
        row("{'a':[]}", "{'$push':{'a':{'x':1}}}", "{'a':[{'x':1}]}"),
        row("{'a':[]}", "{'$push':{'a':[1,2]}}", "{'a':[[1,2]]}"),
        row("{'a':[1]}", "{'$push':{'a':{'$each':[2,3]}}}", "{'a':[1,2,3]}"),
        row("{'a':[1,2]}", "{'$push':{'a':{'$each':[9],'$position':0}}}", "{'a':[9,1,2]}"),
        row("{'a':[1,2,3]}", "{'$push':{'a':{'$each':[9],'$position':-1}}}", "{'a':[1,2,9,3]}"),
        row("{'a':[3,1]}", "{'$push':{'a':{'$each':[2],'$sort':1}}}", "{'a':[1,2,3]}"),
        row(
            "{'a':[{'b':1},{'a':2}]}",
            "{'$push':{'a':{'$each':[],'$sort':1}}}",
            "{'a':[{'a':2},{'b':1}]}"),
        row("{'a':[3,1]}", "{'$push':{'a':{'$each':[2],'$sort':-1}}}", "{'a':[3,2,1]}"),
        row("{'a':[1,2,3]}", "{'$push':{'a':{'$each':[4],'$slice':-2}}}", "{'a':[3,4]}"),
        row("{'a':[1,2,3]}", "{'$push':{'a':{'$each':[],'$slice':0}}}", "{'a':[]}"),
        row(
            "{'q':[{'w':'a','s':9},{'w':'b','s':6}]}",
            "{'$push':{'q':{'$each':[{'w':'c','s':8},{'w':'d','s':7}],'$sort':{'s':-1},'$slice':3}}}",
            "{'q':[{'w':'a','s':9},{'w':'c','s':8},{'w':'d','s':7}]}"),
        // $addToSet
        row("{'t':['a']}", "{'$addToSet':{'t':'b'}}", "{'t':['a','b']}"),
        row("{'t':['a']}", "{'$addToSet':{'t':'a'}}", "{'t':['a']}"),
        row("{'t':['a']}", "{'$addToSet':{'t':{'$each':['a','b','b']}}}", "{'t':['a','b']}"),
        row("{'t':[1]}", "{'$addToSet':{'t':1.0}}", "{'t':[1]}"),
        row(
            "{'t':[{'a':1,'b':2}]}",
            "{'$addToSet':{'t':{'b':2,'a':1}}}",
            "{'t':[{'a':1,'b':2},{'b':2,'a':1}]}"),
        row("{}", "{'$addToSet':{'t':'x'}}", "{'t':['x']}"),
        // $pop
        row("{'a':[1,2,3]}", "{'$pop':{'a':1}}", "{'a':[1,2]}"),
        row("{'a':[1,2,3]}", "{'$pop':{'a':-1}}", "{'a':[2,3]}"),
        row("{'a':[]}", "{'$pop':{'a':1}}", "{'a':[]}"),
        row("{}", "{'$pop':{'a':1}}", "{}"),
        // $pull
        row(
            "{'f':['apples','pears','oranges']}",
            "{'$pull':{'f':{'$in':['apples','oranges']}}}",
            "{'f':['pears']}"),
        row("{'v':[6,7,8,9]}", "{'$pull':{'v':{'$gte':8}}}", "{'v':[6,7]}"),
        row("{'v':[6,'8',9]}", "{'$pull':{'v':{'$gte':8}}}", "{'v':[6,'8']}"),
        row("{'a':[1,2,1]}", "{'$pull':{'a':1}}", "{'a':[2]}"),
        // a condition is a query on each element: a field holding an array matches if any of its
        // elements does; an embedded document matches only with the same members in the same
        // order (https://www.mongodb.com/docs/manual/reference/operator/update/pull/ and
        // https://www.mongodb.com/docs/manual/tutorial/query-arrays/)
        row(
            "{'a':[{'tags':['x','y']},{'tags':['z']}]}",
            "{'$pull':{'a':{'tags':'x'}}}",
            "{'a':[{'tags':['z']}]}"),
        row(
            "{'a':[{'s':[1,9]},{'s':[2,3]}]}",
            "{'$pull':{'a':{'s':{'$gt':8}}}}",
            "{'a':[{'s':[2,3]}]}"),
        row(
            "{'a':[{'t':['x']},{'t':['y']}]}",
            "{'$pull':{'a':{'t':{'$ne':'x'}}}}",
            "{'a':[{'t':['x']}]}"),
        row(
            "{'a':[{'o':{'x':1,'y':2}},{'o':{'y':2,'x':1}}]}",
            "{'$pull':{'a':{'o':{'x':1,'y':2}}}}",
            "{'a':[{'o':{'y':2,'x':1}}]}"),
        // $pullAll removes exact matches, members in order
        // (https://www.mongodb.com/docs/manual/reference/operator/update/pullAll/)
        row(
            "{'a':[{'x':1,'y':2},{'y':2,'x':1}]}",
            "{'$pullAll':{'a':[{'x':1,'y':2}]}}",
            "{'a':[{'y':2,'x':1}]}"),
        row("{'a':[[1,2],[2,1]]}", "{'$pull':{'a':[1,2]}}", "{'a':[[2,1]]}"),
        row(
            "{'r':[{'item':'A','score':5},{'item':'B','score':8,'c':'x'}]}",
            "{'$pull':{'r':{'score':8,'item':'B'}}}",
            "{'r':[{'item':'A','score':5}]}"),
        row(
            "{'r':[{'s':5},{'s':8},{'s':7}]}",
            "{'$pull':{'r':{'s':{'$gt':6}}}}",
            "{'r':[{'s':5}]}"),
        row(
            "{'results':[{'item':'A','answers':[{'q':1,'a':4},{'q':2,'a':6}]},"
                + "{'item':'B','answers':[{'q':1,'a':8},{'q':2,'a':9}]}]}",
            "{'$pull':{'results':{'answers':{'$elemMatch':{'q':2,'a':{'$gte':8}}}}}}",
            "{'results':[{'item':'A','answers':[{'q':1,'a':4},{'q':2,'a':6}]}]}"),
        row("{'a':[1,2,3]}", "{'$pull':{'a':{'$nin':[2]}}}", "{'a':[2]}"),
        row("{'x':1}", "{'$pull':{'a':1}}", "{'x':1}"),
        // $pullAll
        row("{'s':[0,2,5,5,1,0]}", "{'$pullAll':{'s':[0,5]}}", "{'s':[2,1]}"),
        // $bit
        row("{'e':13}", "{'$bit':{'e':{'and':10}}}", "{'e':8}"),
        row("{'e':3}", "{'$bit':{'e':{'or':5}}}", "{'e':7}"),
        row("{'e':1}", "{'$bit':{'e':{'xor':5}}}", "{'e':4}"),
        row("{}", "{'$bit':{'e':{'or':5}}}", "{'e':5}"),
        row("{'e':12.0}", "{'$bit':{'e':{'or':1.0}}}", "{'e':13}"), // 12.0 is the integer 12
        // several operators at once
        row(
            "{'n':1,'t':[],'old':true}",
            "{'$inc':{'n':1},'$push':{'t':'x'},'$unset':{'old':''},'$set':{'new':1}}",
            "{'n':2,'t':['x'],'new':1}"));
  }

  private static Arguments row(String doc, String update, String expected) {
    return Arguments.of(doc, update, expected);
  }

  @ParameterizedTest(name = "{1} on {0}")
  @MethodSource("results")
  void givesWhatMongoDbGives(String doc, String update, String expected) {
    ObjectNode before = json(doc);
    ObjectNode result = UpdateOperators.apply(before, json(update), CLOCK);

    assertThat(Json.canonical(result)).isEqualTo(Json.canonical(json(expected)));
    assertThat(before).isEqualTo(json(doc)); // the input is never changed
  }

  static Stream<Arguments> errors() {
    return Stream.of(
        Arguments.of("{}", "{}", "at least one update operator"),
        Arguments.of("{}", "{'$foo':{'a':1}}", "unknown update operator $foo"),
        Arguments.of("{}", "{'a':1}", "only update operators"),
        Arguments.of("{}", "{'$set':5}", "must be an object"),
        Arguments.of("{}", "{'$set':{'a':1},'$inc':{'a.b':1}}", "conflict"),
        Arguments.of("{}", "{'$set':{'a':1},'$unset':{'a':''}}", "conflict"),
        Arguments.of("{}", "{'$set':{'_id':'x'}}", "immutable member '_id'"),
        Arguments.of("{}", "{'$set':{'a..b':1}}", "empty part"),
        Arguments.of("{}", "{'$set':{'a.$.b':1}}", "only the positional $[]"),
        Arguments.of("{'a':5}", "{'$set':{'a.b':1}}", "cannot create field 'b'"),
        // never through a null: MongoDB fails with PathNotViable, "Cannot create field 'b' in
        // element {a: null}", for every operator that creates a path ($set's page, "Set Fields in
        // Embedded Documents": https://www.mongodb.com/docs/manual/reference/operator/update/set/)
        Arguments.of(
            "{'a':null}", "{'$set':{'a.b':1}}", "Cannot create field 'b' in element {a: null}"),
        Arguments.of(
            "{'a':{'b':null}}",
            "{'$inc':{'a.b.c':1}}",
            "Cannot create field 'c' in element {b: null}"),
        Arguments.of("{'a':null}", "{'$push':{'a.b':1}}", "Cannot create field 'b'"),
        Arguments.of("{'a':null}", "{'$addToSet':{'a.b':1}}", "Cannot create field 'b'"),
        Arguments.of("{'a':null}", "{'$min':{'a.b':1}}", "Cannot create field 'b'"),
        Arguments.of("{'a':null}", "{'$currentDate':{'a.b':true}}", "Cannot create field 'b'"),
        Arguments.of("{'a':null,'x':1}", "{'$rename':{'x':'a.b'}}", "Cannot create field 'b'"),
        Arguments.of(
            "{'a':[null]}", "{'$set':{'a.0.b':1}}", "Cannot create field 'b' in element {0: null}"),
        Arguments.of("{'a':{}}", "{'$set':{'a.$[].b':1}}", "needs an array"),
        Arguments.of("{'n':'x'}", "{'$inc':{'n':1}}", "not a number"),
        Arguments.of("{'n':1}", "{'$inc':{'n':'1'}}", "needs a number"),
        Arguments.of("{'n':9223372036854775807}", "{'$inc':{'n':1}}", "overflows"),
        Arguments.of("{'n':1}", "{'$mul':{'n':true}}", "needs a number"),
        Arguments.of("{'a':1}", "{'$rename':{'a':'a'}}", "the same"),
        Arguments.of("{'a':1}", "{'$rename':{'a':2}}", "string target"),
        // $rename does not reach into arrays, either way ($rename's page, "Behavior":
        // https://www.mongodb.com/docs/manual/reference/operator/update/rename/)
        Arguments.of("{'a':[1]}", "{'$rename':{'a.0':'b'}}", "into or out of an array"),
        Arguments.of("{'a':[{'b':1}]}", "{'$rename':{'a.0.b':'c'}}", "into or out of an array"),
        Arguments.of("{'a':[{}],'x':1}", "{'$rename':{'x':'a.0.b'}}", "into or out of an array"),
        Arguments.of("{}", "{'$currentDate':{'d':{'$type':'week'}}}", "takes true or"),
        Arguments.of("{'a':1}", "{'$push':{'a':2}}", "not an array"),
        Arguments.of("{'a':[]}", "{'$push':{'a':{'$slice':1}}}", "needs $each"),
        Arguments.of(
            "{'a':[]}", "{'$push':{'a':{'$each':[1],'$colour':1}}}", "unknown $push modifier"),
        Arguments.of("{'a':[]}", "{'$push':{'a':{'$each':[1],'$sort':2}}}", "$sort"),
        Arguments.of("{'a':[]}", "{'$push':{'a':{'$each':1}}}", "needs an array"),
        Arguments.of("{'a':[]}", "{'$addToSet':{'a':{'$each':[1],'$slice':1}}}", "only $each"),
        Arguments.of("{'a':[1]}", "{'$pop':{'a':2}}", "1 or -1"),
        Arguments.of("{'a':'x'}", "{'$pop':{'a':1}}", "not an array"),
        Arguments.of("{'a':[1]}", "{'$pullAll':{'a':1}}", "needs an array"),
        Arguments.of("{'a':[1]}", "{'$pull':{'a':{'$regex':'x'}}}", "unknown query operator"),
        Arguments.of("{'e':1.5}", "{'$bit':{'e':{'and':1}}}", "holds 1.5, not a 64-bit integer"),
        Arguments.of(
            "{'e':18446744073709551616}", "{'$bit':{'e':{'and':1}}}", "not a 64-bit integer"),
        Arguments.of("{'e':1}", "{'$bit':{'e':{'nand':1}}}", "and, or, xor"));
  }

  @ParameterizedTest(name = "{1} on {0}")
  @MethodSource("errors")
  void rejectsWholeWithAClearError(String doc, String update, String message) {
    ObjectNode before = json(doc);

    assertThatThrownBy(() -> UpdateOperators.apply(before, json(update), CLOCK))
        .isInstanceOf(InvalidUpdateException.class)
        .hasMessageContaining(message);
    assertThat(before).isEqualTo(json(doc));
  }

  /** https://www.mongodb.com/docs/manual/reference/operator/update/setOnInsert/ */
  @org.junit.jupiter.api.Test
  void setOnInsertSetsOnlyWhenTheUpdateInserts() {
    var update = json("{'$set':{'item':'apple'},'$setOnInsert':{'defaultQty':100}}");

    assertThat(UpdateOperators.applyInserting(update, CLOCK))
        .isEqualTo(json("{'item':'apple','defaultQty':100}"));
    assertThat(UpdateOperators.apply(json("{'item':'pear'}"), update, CLOCK))
        .isEqualTo(json("{'item':'apple'}"));
    assertThatThrownBy(
            () ->
                UpdateOperators.apply(
                    json("{}"), json("{'$set':{'a':1},'$setOnInsert':{'a.b':1}}"), CLOCK))
        .isInstanceOf(InvalidUpdateException.class)
        .hasMessageContaining("would create a conflict at 'a'");
  }

  @org.junit.jupiter.api.Test
  void aFailingOperatorLeavesNoPartOfTheUpdateApplied() {
    ObjectNode doc = json("{'n':1,'s':'x','t':[]}");

    assertThatThrownBy(
            () -> UpdateOperators.apply(doc, json("{'$push':{'t':1},'$inc':{'n':1,'s':1}}"), CLOCK))
        .isInstanceOf(InvalidUpdateException.class);
    assertThat(doc).isEqualTo(json("{'n':1,'s':'x','t':[]}"));
  }
}
