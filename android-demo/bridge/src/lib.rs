//! JNI bridge: the native methods of the Java classes `inkjot.Recognizer` and `inkjot.Session`,
//! implemented on inkjot's safe Rust API (`inkjot::Recognizer`, `inkjot::Session`). Loading and
//! option checks go through the same functions the C ABI uses (`inkjot::ffi::recognizer_from_path`,
//! `checked_options`), so Java gets the C library's validation and error codes.
//!
//! Handles cross into Java as `long`s: a recognizer is an `Arc<Recognizer>` (sessions share it),
//! a session a `Box<Session>`. The Java classes guard them: a recognizer is freed only under its
//! write lock (no recognition in flight), a session's methods are `synchronized`. Every native
//! method catches panics; errors become `inkjot.InkjotException(code, message)` with the C status
//! codes.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::ptr::null_mut;
use std::sync::Arc;

use inkjot::ffi::{
    FfiError, INKJOT_ABI_VERSION, InkjotStatus, checked_options, recognizer_from_memory,
    recognizer_from_path, writing_area,
};
use inkjot::ink::{Ink, InkLimits, Point, SYNTHETIC_TIME_STEP_MS, Stroke};
use inkjot::{Recognition, RecognizeOptions, Recognizer, Session, SessionOptions};
use jni::JNIEnv;
use jni::objects::{
    JByteArray, JClass, JFloatArray, JLongArray, JObject, JObjectArray, JString, JThrowable, JValue,
};
use jni::sys::{jboolean, jdouble, jfloat, jint, jlong, jobjectArray, jstring};

const EXCEPTION: &str = "inkjot/InkjotException";
const CANDIDATE: &str = "inkjot/Candidate";
const SEGMENT: &str = "inkjot/Segment";
const LINE: &str = "inkjot/Line";

/// Why a native method failed.
enum Failure {
    /// An inkjot status code and message (thrown as `InkjotException`).
    Status(i32, String),
    /// A JNI call failed; usually a Java exception is already pending.
    Jni(jni::errors::Error),
}

impl From<jni::errors::Error> for Failure {
    fn from(e: jni::errors::Error) -> Self {
        Failure::Jni(e)
    }
}

impl From<FfiError> for Failure {
    fn from(e: FfiError) -> Self {
        Failure::Status(e.status as i32, e.message)
    }
}

impl From<inkjot::Error> for Failure {
    fn from(e: inkjot::Error) -> Self {
        FfiError::from(e).into()
    }
}

impl From<inkjot::InkError> for Failure {
    fn from(e: inkjot::InkError) -> Self {
        FfiError::from(e).into()
    }
}

type Result<T> = std::result::Result<T, Failure>;

fn fail<T>(status: InkjotStatus, message: impl Into<String>) -> Result<T> {
    Err(Failure::Status(status as i32, message.into()))
}

/// Runs a native method's body: panics and failures become Java exceptions and `fallback`.
fn guard<'local, T>(
    env: &mut JNIEnv<'local>,
    fallback: T,
    body: impl FnOnce(&mut JNIEnv<'local>) -> Result<T>,
) -> T {
    let outcome = catch_unwind(AssertUnwindSafe(|| body(env)));
    let (code, message) = match outcome {
        Ok(Ok(v)) => return v,
        Ok(Err(Failure::Status(code, message))) => (code, message),
        Ok(Err(Failure::Jni(e))) => {
            if env.exception_check().unwrap_or(true) {
                return fallback; // the Java exception already pending says what happened
            }
            (InkjotStatus::Internal as i32, format!("JNI error: {e}"))
        }
        Err(_) => (
            InkjotStatus::Internal as i32,
            "internal error (panic) in the JNI bridge".to_owned(),
        ),
    };
    throw(env, code, &message);
    fallback
}

fn throw(env: &mut JNIEnv<'_>, code: i32, message: &str) {
    let thrown = (|| -> jni::errors::Result<()> {
        let text = env.new_string(message)?;
        let exception = env.new_object(
            EXCEPTION,
            "(ILjava/lang/String;)V",
            &[JValue::Int(code), JValue::Object(&text)],
        )?;
        env.throw(JThrowable::from(exception))
    })();
    if thrown.is_err() && !env.exception_check().unwrap_or(true) {
        let _ = env.throw_new("java/lang/RuntimeException", message);
    }
}

/// A Java string; `None` for a Java null.
fn string(env: &mut JNIEnv<'_>, s: &JString<'_>) -> Result<Option<String>> {
    if s.is_null() {
        return Ok(None);
    }
    Ok(Some(env.get_string(s)?.into()))
}

/// The recognizer behind a Java handle.
///
/// # Safety
/// `handle` is 0 or a live handle from `nativeNewFrom*` (Java holds the read lock while it is used).
unsafe fn recognizer<'a>(handle: jlong) -> Result<&'a Arc<Recognizer>> {
    if handle == 0 {
        return fail(InkjotStatus::NullPointer, "the recognizer is closed");
    }
    // SAFETY: per the caller, a live `Box<Arc<Recognizer>>` made by `new_recognizer`.
    Ok(unsafe { &*(handle as *const Arc<Recognizer>) })
}

/// A Java handle for a new recognizer (freed by `Recognizer.nativeFree`).
fn new_recognizer(recognizer: Recognizer) -> jlong {
    Box::into_raw(Box::new(Arc::new(recognizer))) as jlong
}

/// The session behind a Java handle.
///
/// # Safety
/// `handle` is 0 or a live handle from `Session.nativeNew`, used by one thread at a time (the
/// Java methods are `synchronized`).
unsafe fn session<'a>(handle: jlong) -> Result<&'a mut Session> {
    if handle == 0 {
        return fail(InkjotStatus::NullPointer, "the session is closed");
    }
    // SAFETY: per the caller, a live, unshared `Box<Session>` made by `Session.nativeNew`.
    Ok(unsafe { &mut *(handle as *mut Session) })
}

/// Reads Java's `float[][] x, float[][] y, long[][] t` (t may be null: 10 ms per point) into a
/// validated ink.
fn read_ink(
    env: &mut JNIEnv<'_>,
    x: &JObjectArray<'_>,
    y: &JObjectArray<'_>,
    t: &JObjectArray<'_>,
) -> Result<Ink> {
    if x.is_null() || y.is_null() {
        return fail(InkjotStatus::NullPointer, "x and y must not be null");
    }
    let strokes = env.get_array_length(x)?;
    if env.get_array_length(y)? != strokes || (!t.is_null() && env.get_array_length(t)? != strokes)
    {
        return fail(
            InkjotStatus::InvalidArgument,
            "x, y and t must hold the same number of strokes",
        );
    }
    let limits = InkLimits::default();
    limits_check(&limits, strokes as usize)?;
    let mut ink = Vec::with_capacity(strokes as usize);
    let mut next_t = 0.0;
    for i in 0..strokes {
        let xs = JFloatArray::from(env.get_object_array_element(x, i)?);
        let ys = JFloatArray::from(env.get_object_array_element(y, i)?);
        let ts = if t.is_null() {
            JLongArray::from(JObject::null())
        } else {
            JLongArray::from(env.get_object_array_element(t, i)?)
        };
        if xs.is_null() || ys.is_null() || (!t.is_null() && ts.is_null()) {
            return fail(InkjotStatus::NullPointer, format!("stroke {i} is null"));
        }
        let n = env.get_array_length(&xs)?;
        if env.get_array_length(&ys)? != n || (!ts.is_null() && env.get_array_length(&ts)? != n) {
            return fail(
                InkjotStatus::InvalidInk,
                format!("stroke {i}: x, y and t have different lengths"),
            );
        }
        let n = n as usize;
        let mut bx = vec![0f32; n];
        let mut by = vec![0f32; n];
        env.get_float_array_region(&xs, 0, &mut bx)?;
        env.get_float_array_region(&ys, 0, &mut by)?;
        let bt: Vec<f64> = if ts.is_null() {
            (0..n)
                .map(|k| next_t + k as f64 * SYNTHETIC_TIME_STEP_MS)
                .collect()
        } else {
            let mut raw = vec![0i64; n];
            env.get_long_array_region(&ts, 0, &mut raw)?;
            raw.into_iter().map(|v| v as f64).collect()
        };
        if let Some(&last) = bt.last() {
            next_t = last + 2.0 * SYNTHETIC_TIME_STEP_MS;
        }
        let points = bx
            .iter()
            .zip(&by)
            .zip(&bt)
            .map(|((&x, &y), &t)| Point {
                x: f64::from(x),
                y: f64::from(y),
                t,
            })
            .collect();
        ink.push(Stroke { points });
        // Keep the local reference table small for inks of many strokes.
        env.delete_local_ref(xs)?;
        env.delete_local_ref(ys)?;
        if !ts.is_null() {
            env.delete_local_ref(ts)?;
        }
    }
    Ok(Ink::new(ink, &limits)?)
}

/// Rejects more strokes than the limit before any is read.
fn limits_check(limits: &InkLimits, strokes: usize) -> Result<()> {
    if strokes > limits.max_strokes {
        return Err(inkjot::InkError::TooManyStrokes {
            count: strokes,
            limit: limits.max_strokes,
        }
        .into());
    }
    Ok(())
}

/// Java options (as separate arguments) as Rust ones, checked as the C ABI checks them.
fn options(
    env: &mut JNIEnv<'_>,
    nbest: jint,
    pre_context: &JString<'_>,
    height: jdouble,
    use_lm: jboolean,
    user_words: &JString<'_>,
) -> Result<RecognizeOptions> {
    if nbest < 1 {
        return fail(
            InkjotStatus::InvalidArgument,
            format!("nbest must be at least 1, not {nbest}"),
        );
    }
    let context = string(env, pre_context)?.unwrap_or_default();
    if context.contains('\0') {
        return fail(
            InkjotStatus::InvalidArgument,
            "preContext contains a NUL character",
        );
    }
    let words = string(env, user_words)?.unwrap_or_default();
    if words.contains('\0') {
        return fail(
            InkjotStatus::InvalidArgument,
            "userWords contains a NUL character",
        );
    }
    Ok(checked_options(
        nbest as usize,
        &context,
        height,
        use_lm != 0,
        &words,
    )?)
}

/// The candidates as `inkjot.Candidate[]`.
fn candidates<'local>(
    env: &mut JNIEnv<'local>,
    recognition: Recognition,
) -> Result<JObjectArray<'local>> {
    let n = recognition.candidates.len();
    let array = env.new_object_array(n as i32, CANDIDATE, JObject::null())?;
    for (i, c) in recognition.candidates.into_iter().enumerate() {
        let segments = segments(env, &c.segments)?;
        let lines = lines(env, &c.text, &recognition.lines)?;
        let text = env.new_string(c.text)?;
        let candidate = env.new_object(
            CANDIDATE,
            "(Ljava/lang/String;FF[Linkjot/Segment;[Linkjot/Line;)V",
            &[
                JValue::Object(&text),
                JValue::Float(c.score),
                JValue::Float(c.confidence),
                JValue::Object(&segments),
                JValue::Object(&lines),
            ],
        )?;
        env.set_object_array_element(&array, i as i32, &candidate)?;
        env.delete_local_ref(candidate)?;
        env.delete_local_ref(lines)?;
        env.delete_local_ref(segments)?;
        env.delete_local_ref(text)?;
    }
    Ok(array)
}

/// The ink's lines as `inkjot.Line[]`, each with the candidate's own text of it (`text` split at
/// `\n`; the best candidate's line texts if the counts differ).
fn lines<'local>(
    env: &mut JNIEnv<'local>,
    text: &str,
    lines: &[inkjot::lines::TextLine],
) -> Result<JObjectArray<'local>> {
    let own: Vec<&str> = text.split('\n').collect();
    let array = env.new_object_array(lines.len() as i32, LINE, JObject::null())?;
    for (i, line) in lines.iter().enumerate() {
        let line_text = if own.len() == lines.len() {
            own[i].trim()
        } else {
            line.text.as_str()
        };
        let line_text = env.new_string(line_text)?;
        let strokes: Vec<jint> = line
            .strokes
            .iter()
            .map(|&s| jint::try_from(s).unwrap_or(jint::MAX))
            .collect();
        let stroke_array = env.new_int_array(strokes.len() as i32)?;
        env.set_int_array_region(&stroke_array, 0, &strokes)?;
        let b = line.bbox;
        let bbox = env.new_double_array(4)?;
        env.set_double_array_region(&bbox, 0, &[b.min_x, b.min_y, b.max_x, b.max_y])?;
        let object = env.new_object(
            LINE,
            "(Ljava/lang/String;[I[D)V",
            &[
                JValue::Object(&line_text),
                JValue::Object(&stroke_array),
                JValue::Object(&bbox),
            ],
        )?;
        env.set_object_array_element(&array, i as i32, &object)?;
        env.delete_local_ref(object)?;
        env.delete_local_ref(bbox)?;
        env.delete_local_ref(stroke_array)?;
        env.delete_local_ref(line_text)?;
    }
    Ok(array)
}

/// A candidate's segments as `inkjot.Segment[]`.
fn segments<'local>(
    env: &mut JNIEnv<'local>,
    segments: &[inkjot::segment::Segment],
) -> Result<JObjectArray<'local>> {
    let array = env.new_object_array(segments.len() as i32, SEGMENT, JObject::null())?;
    for (i, s) in segments.iter().enumerate() {
        let text = env.new_string(&s.text)?;
        let flat: Vec<jint> = s
            .strokes
            .iter()
            .flat_map(|r| [r.stroke, r.first, r.last])
            .map(|v| jint::try_from(v).unwrap_or(jint::MAX))
            .collect();
        let ranges = env.new_int_array(flat.len() as i32)?;
        env.set_int_array_region(&ranges, 0, &flat)?;
        let bbox = match s.bbox {
            Some(b) => {
                let array = env.new_double_array(4)?;
                env.set_double_array_region(&array, 0, &[b.min_x, b.min_y, b.max_x, b.max_y])?;
                JObject::from(array)
            }
            None => JObject::null(),
        };
        let word = s.kind == inkjot::segment::SegmentKind::Word;
        let segment = env.new_object(
            SEGMENT,
            "(Ljava/lang/String;Z[I[D)V",
            &[
                JValue::Object(&text),
                JValue::Bool(u8::from(word)),
                JValue::Object(&ranges),
                JValue::Object(&bbox),
            ],
        )?;
        env.set_object_array_element(&array, i as i32, &segment)?;
        env.delete_local_ref(segment)?;
        env.delete_local_ref(bbox)?;
        env.delete_local_ref(ranges)?;
        env.delete_local_ref(text)?;
    }
    Ok(array)
}

/// `static native String nativeVersion()`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_inkjot_Recognizer_nativeVersion<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
) -> jstring {
    guard(&mut env, null_mut(), |env| {
        Ok(env.new_string(inkjot::recognizer::VERSION)?.into_raw())
    })
}

/// `static native int nativeAbiVersion()`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_inkjot_Recognizer_nativeAbiVersion<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
) -> jint {
    guard(&mut env, 0, |_| Ok(INKJOT_ABI_VERSION as jint))
}

/// `static native long nativeNewFromPath(String modelPath, String lang)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_inkjot_Recognizer_nativeNewFromPath<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    model_path: JString<'local>,
    lang: JString<'local>,
) -> jlong {
    guard(&mut env, 0, |env| {
        let Some(path) = string(env, &model_path)? else {
            return fail(InkjotStatus::NullPointer, "modelPath must not be null");
        };
        let lang = string(env, &lang)?.unwrap_or_default();
        Ok(new_recognizer(recognizer_from_path(
            Path::new(&path),
            &lang,
        )?))
    })
}

/// `static native long nativeNewFromBytes(byte[] model, byte[] lm, String decoderConfig)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_inkjot_Recognizer_nativeNewFromBytes<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    model: JByteArray<'local>,
    lm: JByteArray<'local>,
    decoder_config: JString<'local>,
) -> jlong {
    guard(&mut env, 0, |env| {
        if model.is_null() {
            return fail(InkjotStatus::NullPointer, "model must not be null");
        }
        let model = env.convert_byte_array(&model)?;
        let lm = if lm.is_null() {
            Vec::new()
        } else {
            env.convert_byte_array(&lm)?
        };
        let config = string(env, &decoder_config)?;
        let recognizer = recognizer_from_memory(&model, &lm, config.as_deref())?;
        Ok(new_recognizer(recognizer))
    })
}

/// `static native void nativeFree(long handle)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_inkjot_Recognizer_nativeFree<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    handle: jlong,
) {
    guard(&mut env, (), |_| {
        if handle != 0 {
            // SAFETY: made by `new_recognizer`; Java frees each handle once, under the write lock
            // (nothing else uses it).
            drop(unsafe { Box::from_raw(handle as *mut Arc<Recognizer>) });
        }
        Ok(())
    })
}

/// `static native Candidate[] nativeRecognize(long handle, float[][] x, float[][] y, long[][] t,
/// int nbest, String preContext, double writingAreaHeight, boolean useLm, String userWords,
/// boolean segments, boolean singleLine)`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_inkjot_Recognizer_nativeRecognize<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    handle: jlong,
    x: JObjectArray<'local>,
    y: JObjectArray<'local>,
    t: JObjectArray<'local>,
    nbest: jint,
    pre_context: JString<'local>,
    writing_area_height: jdouble,
    use_lm: jboolean,
    user_words: JString<'local>,
    segments: jboolean,
    single_line: jboolean,
) -> jobjectArray {
    guard(&mut env, null_mut(), |env| {
        // SAFETY: a live recognizer (Java holds the read lock).
        let recognizer = unsafe { recognizer(handle) }?;
        let ink = read_ink(env, &x, &y, &t)?;
        let options = RecognizeOptions {
            segments: segments != 0,
            lines: single_line == 0,
            ..options(
                env,
                nbest,
                &pre_context,
                writing_area_height,
                use_lm,
                &user_words,
            )?
        };
        let recognition = recognizer.recognize(&ink, &options)?;
        Ok(candidates(env, recognition)?.into_raw())
    })
}

/// `static native long nativeNew(long recognizer, double writingAreaHeight)` of `Session`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_inkjot_Session_nativeNew<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    recognizer: jlong,
    writing_area_height: jdouble,
) -> jlong {
    guard(&mut env, 0, |_| {
        // SAFETY: a live recognizer (Java holds its read lock).
        let recognizer = Arc::clone(unsafe { self::recognizer(recognizer) }?);
        let options = SessionOptions {
            writing_area: writing_area(writing_area_height)?,
            ..SessionOptions::default()
        };
        let session = Session::new(recognizer, options)?;
        Ok(Box::into_raw(Box::new(session)) as jlong)
    })
}

/// `static native void nativeAddPoint(long session, float x, float y, long t)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_inkjot_Session_nativeAddPoint<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    session: jlong,
    x: jfloat,
    y: jfloat,
    t: jlong,
) {
    guard(&mut env, (), |_| {
        // SAFETY: a live session; Java's `synchronized` keeps it to one thread at a time.
        let session = unsafe { self::session(session) }?;
        let point = Point {
            x: f64::from(x),
            y: f64::from(y),
            t: t as f64,
        };
        Ok(session.add_point(point)?)
    })
}

/// `static native void nativeEndStroke(long session)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_inkjot_Session_nativeEndStroke<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    session: jlong,
) {
    guard(&mut env, (), |_| {
        // SAFETY: as in nativeAddPoint.
        unsafe { self::session(session) }?.end_stroke();
        Ok(())
    })
}

/// `static native Candidate[] nativeCandidates(long session, int nbest, String preContext,
/// boolean useLm, String userWords, boolean segments, boolean singleLine)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_inkjot_Session_nativeCandidates<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    session: jlong,
    nbest: jint,
    pre_context: JString<'local>,
    use_lm: jboolean,
    user_words: JString<'local>,
    segments: jboolean,
    single_line: jboolean,
) -> jobjectArray {
    guard(&mut env, null_mut(), |env| {
        // SAFETY: as in nativeAddPoint.
        let session = unsafe { self::session(session) }?;
        let options = RecognizeOptions {
            segments: segments != 0,
            lines: single_line == 0,
            ..options(env, nbest, &pre_context, 0.0, use_lm, &user_words)?
        };
        let recognition = session.candidates(&options)?;
        Ok(candidates(env, recognition)?.into_raw())
    })
}

/// `static native void nativeClear(long session)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_inkjot_Session_nativeClear<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    session: jlong,
) {
    guard(&mut env, (), |_| {
        // SAFETY: as in nativeAddPoint.
        unsafe { self::session(session) }?.clear();
        Ok(())
    })
}

/// `static native int nativeStrokeCount(long session)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_inkjot_Session_nativeStrokeCount<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    session: jlong,
) -> jint {
    guard(&mut env, 0, |_| {
        // SAFETY: as in nativeAddPoint.
        let session = unsafe { self::session(session) }?;
        Ok(jint::try_from(session.stroke_count()).unwrap_or(jint::MAX))
    })
}

/// `static native void nativeFree(long session)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_inkjot_Session_nativeFree<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    session: jlong,
) {
    guard(&mut env, (), |_| {
        if session != 0 {
            // SAFETY: made by `Session.nativeNew`; Java frees each session once (synchronized,
            // then the handle is zeroed).
            drop(unsafe { Box::from_raw(session as *mut Session) });
        }
        Ok(())
    })
}
